import { parseMockInput } from './mock-input';

describe('parseMockInput', () => {
  it('rule: absent inputs take their defaults (512x512, one output, seed 0, no simulated failure)', () => {
    expect(parseMockInput({})).toEqual({
      value: { width: 512, height: 512, numOutputs: 1, seed: 0, failFirstAttempts: 0, failPermanently: false },
      problems: [],
    });
  });

  it('reads every input it knows', () => {
    const { value } = parseMockInput({
      width: 64,
      height: 32,
      num_outputs: 3,
      seed: 42,
      fail_first_attempts: 2,
      fail_permanently: true,
    });

    expect(value).toEqual({
      width: 64,
      height: 32,
      numOutputs: 3,
      seed: 42,
      failFirstAttempts: 2,
      failPermanently: true,
    });
  });

  describe('rule: each integer input is accepted exactly within its range, ends included', () => {
    it.each([
      ['width', 'width', 16, 1024],
      ['height', 'height', 16, 1024],
      ['num_outputs', 'numOutputs', 1, 4],
      ['seed', 'seed', 0, 2 ** 32 - 1],
      ['fail_first_attempts', 'failFirstAttempts', 0, 100],
    ] as const)('%s: %s from %i to %i', (field, key, min, max) => {
      for (const value of [min, max]) {
        const parsed = parseMockInput({ [field]: value });
        expect(parsed.problems).toEqual([]);
        expect(parsed.value[key]).toBe(value);
      }
      for (const value of [min - 1, max + 1, min + 0.5, String(min), null]) {
        const parsed = parseMockInput({ [field]: value });
        expect(parsed.problems).toEqual([
          { field: `input.${field}`, message: `input.${field} must be an integer from ${min} to ${max}` },
        ]);
        expect(parsed.value[key]).toBe(parseMockInput({}).value[key]);
      }
    });
  });

  it('rule: fail_permanently must be a boolean; anything else is a problem and does not fail the job', () => {
    const parsed = parseMockInput({ fail_permanently: 'yes' });

    expect(parsed.problems).toEqual([
      { field: 'input.fail_permanently', message: 'input.fail_permanently must be a boolean' },
    ]);
    expect(parsed.value.failPermanently).toBe(false);
    expect(parseMockInput({ fail_permanently: false })).toEqual({ value: parseMockInput({}).value, problems: [] });
  });
});
