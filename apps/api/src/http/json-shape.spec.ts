import { jsonShapeProblem, MAX_JSON_DEPTH } from './json-shape';

function nested(levels: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < levels; level += 1) value = { next: value };
  return value;
}

describe('jsonShapeProblem', () => {
  it.each([
    ['a plain body', { prompt: 'fox', input: { width: 16, tags: ['a', 'b'], extra: null } }],
    ['scalars', 42],
    ['an empty object', {}],
    ['nesting exactly at the limit', nested(MAX_JSON_DEPTH)],
  ])('accepts %s', (_case, value) => {
    expect(jsonShapeProblem(value)).toBeNull();
  });

  it.each([
    ['the prompt', { prompt: 'a\u0000b' }, 'prompt'],
    ['a nested value', { input: { style: { name: 'x\u0000' } } }, 'input.style.name'],
    ['an array item', { input: { tags: ['ok', '\u0000'] } }, 'input.tags.1'],
    ['a nested key', { input: { style: { 'bad\u0000key': 1 } } }, 'input.style'],
    ['a top-level key', { 'pro\u0000mpt': 'fox' }, 'body'],
  ])('names the field holding a NUL in %s', (_case, value, field) => {
    expect(jsonShapeProblem(value)).toEqual({ field, message: expect.stringContaining('NUL') });
  });

  it('names the field from a parameter name when given one', () => {
    expect(jsonShapeProblem('a\u0000', 'token')?.field).toBe('token');
    expect(jsonShapeProblem({ 'k\u0000': 1 }, 'filter')?.field).toBe('filter');
    expect(jsonShapeProblem({ list: ['\u0000'] }, 'filter')?.field).toBe('filter.list.0');
  });

  it('refuses one level past the limit, naming the top-level field', () => {
    expect(jsonShapeProblem({ input: nested(MAX_JSON_DEPTH - 1) })).toBeNull();
    expect(jsonShapeProblem({ input: nested(MAX_JSON_DEPTH) })).toEqual({
      field: 'input',
      message: `input must not nest deeper than ${MAX_JSON_DEPTH} levels`,
    });
  });

  it('stops early on very deep values (no stack exhaustion)', () => {
    let deep: unknown = [];
    for (let level = 0; level < 100_000; level += 1) deep = [deep];
    expect(jsonShapeProblem({ input: { list: deep } })?.field).toBe('input');
  });
});
