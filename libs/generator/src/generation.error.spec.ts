import { GenerationError } from './generation.error';

describe('GenerationError.from', () => {
  it('returns the same instance when given a GenerationError', () => {
    const original = new GenerationError('prediction_failed', 'The model refused the prompt', { retryable: false });

    expect(GenerationError.from(original)).toBe(original);
  });

  it('wraps any other Error as a retryable internal error that keeps the original as its cause', () => {
    const original = new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2');

    const wrapped = GenerationError.from(original);

    expect(wrapped).toBeInstanceOf(GenerationError);
    expect(wrapped.code).toBe('internal_error');
    expect(wrapped.retryable).toBe(true);
    expect(wrapped.cause).toBe(original);
  });

  it('does not leak the original error message into its own public message', () => {
    const original = new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2');

    const wrapped = GenerationError.from(original);

    expect(wrapped.message).not.toContain('ECONNREFUSED');
    expect(wrapped.message).not.toContain('hunter2');
    expect(wrapped.message).not.toBe('');
  });

  it('wraps a thrown string the same way, without repeating it', () => {
    const wrapped = GenerationError.from('disk quota exceeded on /var/secret');

    expect(wrapped.code).toBe('internal_error');
    expect(wrapped.retryable).toBe(true);
    expect(wrapped.cause).toBe('disk quota exceeded on /var/secret');
    expect(wrapped.message).not.toContain('disk quota');
  });

  it('gives every unknown failure the same generic message', () => {
    expect(GenerationError.from(new Error('one')).message).toBe(GenerationError.from(new TypeError('two')).message);
  });
});

describe('GenerationError', () => {
  it('carries its code, message, retry decision, wait and cause, under its own name', () => {
    const cause = new Error('429');

    const error = new GenerationError('upstream_rate_limited', 'Rate limited', {
      retryable: true,
      retryAfterMs: 7000,
      cause,
    });

    expect(error).toMatchObject({
      name: 'GenerationError',
      code: 'upstream_rate_limited',
      message: 'Rate limited',
      retryable: true,
      retryAfterMs: 7000,
      cause,
    });
    expect(new GenerationError('invalid_input', 'x', { retryable: false }).retryAfterMs).toBeUndefined();
  });
});
