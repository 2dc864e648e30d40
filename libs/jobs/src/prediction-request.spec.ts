import { InvalidJobInputError, UnknownVersionError } from './jobs.errors';
import { MAX_PROMPT_LENGTH, modelForVersion, splitPredictionInput } from './prediction-request';

describe('splitPredictionInput', () => {
  it('takes the prompt out of input, leaving the rest as the job input', () => {
    expect(splitPredictionInput({ prompt: 'a fox', width: 64, seed: 7 })).toEqual({
      prompt: 'a fox',
      input: { width: 64, seed: 7 },
    });
  });

  it('keeps a prompt of exactly the longest length', () => {
    const prompt = 'x'.repeat(MAX_PROMPT_LENGTH);

    expect(splitPredictionInput({ prompt }).prompt).toBe(prompt);
  });

  it.each([
    ['missing', {}],
    ['blank', { prompt: ' \n\t' }],
    ['empty', { prompt: '' }],
    ['not a string', { prompt: 42 }],
    ['null', { prompt: null }],
  ])('refuses a prompt that is %s, naming input.prompt', (_case, input) => {
    const error = captured(() => splitPredictionInput(input));

    expect(error).toBeInstanceOf(InvalidJobInputError);
    expect((error as InvalidJobInputError).problems).toEqual([
      { field: 'input.prompt', message: 'input.prompt is required: a non-blank string (the prompt)' },
    ]);
  });

  it('refuses a prompt longer than a native one may be', () => {
    const error = captured(() => splitPredictionInput({ prompt: 'x'.repeat(MAX_PROMPT_LENGTH + 1) }));

    expect((error as InvalidJobInputError).problems).toEqual([
      { field: 'input.prompt', message: `input.prompt must be at most ${MAX_PROMPT_LENGTH} characters` },
    ]);
  });
});

describe('modelForVersion', () => {
  const allowed = ['acme/painter', 'acme/pinned:abc123', 'acme/other:def456'];

  it('takes owner/name:version and owner/name as they are', () => {
    expect(modelForVersion(allowed, 'acme/painter:zzz')).toBe('acme/painter:zzz');
    expect(modelForVersion(allowed, 'acme/painter')).toBe('acme/painter');
    expect(modelForVersion([], 'any/model:v1')).toBe('any/model:v1');
  });

  it('maps a bare version id to the allow-list entry that pins it', () => {
    expect(modelForVersion(allowed, 'abc123')).toBe('acme/pinned:abc123');
    expect(modelForVersion(allowed, 'def456')).toBe('acme/other:def456');
  });

  it.each([
    ['no entry pins it', allowed, 'fff999'],
    ['it is only a prefix of a pinned id', allowed, 'abc'],
    ['it names a model, not a version', allowed, 'painter'],
    ['there is no allow-list', [], 'abc123'],
  ])('refuses a bare id when %s', (_case, list, version) => {
    const error = captured(() => modelForVersion(list, version));

    expect(error).toBeInstanceOf(UnknownVersionError);
    expect(error).toMatchObject({ code: 'unknown_version', version });
  });
});

function captured(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw');
}
