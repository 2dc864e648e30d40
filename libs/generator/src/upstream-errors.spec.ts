import { GenerationError } from './generation.error';
import { classifyUpstreamError, DEFAULT_RATE_LIMIT_WAIT_MS, parseRetryAfter } from './upstream-errors';
import { UpstreamHttpError, UpstreamTimeoutError } from './upstream-fetch';

const httpError = (status: number, body = '', headers: Record<string, string> = {}) =>
  new UpstreamHttpError(status, new Headers(headers), body);

const INVALID_INPUT_BODY = JSON.stringify({
  detail: 'Invalid input',
  invalid_fields: [{ type: 'required', field: 'prompt', description: 'prompt is required' }],
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2030, 0, 1, 12, 0, 0);

  it('reads delta-seconds as milliseconds', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads an HTTP date as the milliseconds from now until then', () => {
    expect(parseRetryAfter(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
  });

  it('never gives a negative wait for a date in the past', () => {
    expect(parseRetryAfter(new Date(now - 60_000).toUTCString(), now)).toBe(0);
  });

  it('gives undefined when the header is absent, empty or unreadable', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('reads only a whole number as delta-seconds, around spaces', () => {
    expect(parseRetryAfter(' 12 ', now)).toBe(12_000);
    expect(parseRetryAfter('12abc', now)).toBeUndefined();
    expect(parseRetryAfter('abc12', now)).toBeUndefined();
  });

  it('measures from the current time by default', () => {
    const wait = parseRetryAfter(new Date(Date.now() + 20_000).toUTCString());

    expect(wait).toBeGreaterThan(15_000);
    expect(wait).toBeLessThanOrEqual(20_000);
  });
});

describe('classifyUpstreamError', () => {
  describe('HTTP 429', () => {
    it('is a retryable rate limit that waits as long as Retry-After says', () => {
      const error = httpError(429, '{}', { 'Retry-After': '7' });

      const classified = classifyUpstreamError(error);

      expect(classified).toBeInstanceOf(GenerationError);
      expect(classified.code).toBe('upstream_rate_limited');
      expect(classified.retryable).toBe(true);
      expect(classified.retryAfterMs).toBe(7000);
      expect(classified.cause).toBe(error);
    });

    it('waits until the HTTP date that Retry-After names', () => {
      const classified = classifyUpstreamError(
        httpError(429, '{}', { 'Retry-After': new Date(Date.now() + 20_000).toUTCString() }),
      );

      expect(classified.retryAfterMs).toBeGreaterThan(15_000);
      expect(classified.retryAfterMs).toBeLessThanOrEqual(20_000);
    });

    it('waits DEFAULT_RATE_LIMIT_WAIT_MS when Retry-After is absent or unreadable', () => {
      expect(classifyUpstreamError(httpError(429)).retryAfterMs).toBe(DEFAULT_RATE_LIMIT_WAIT_MS);
      expect(classifyUpstreamError(httpError(429, '', { 'Retry-After': 'later' })).retryAfterMs).toBe(
        DEFAULT_RATE_LIMIT_WAIT_MS,
      );
    });

    it('keeps an explicit Retry-After of 0 instead of the default', () => {
      expect(classifyUpstreamError(httpError(429, '', { 'Retry-After': '0' })).retryAfterMs).toBe(0);
    });

    it("carries Replicate's detail in the message", () => {
      const body = '{"detail":"Request was throttled. Your rate limit resets in ~30s."}';

      expect(classifyUpstreamError(httpError(429, body)).message).toContain(
        'Request was throttled. Your rate limit resets in ~30s.',
      );
    });
  });

  it.each([500, 502, 503, 504, 408])('treats HTTP %i as a retryable unavailable upstream', (status) => {
    const error = httpError(status, '{}', { 'Retry-After': '5' });

    const classified = classifyUpstreamError(error);

    expect(classified.code).toBe('upstream_unavailable');
    expect(classified.retryable).toBe(true);
    expect(classified.retryAfterMs).toBeUndefined();
    expect(classified.message).toContain(String(status));
    expect(classified.cause).toBe(error);
  });

  it.each([400, 422])('treats HTTP %i as invalid input that is not retried', (status) => {
    const classified = classifyUpstreamError(httpError(status, INVALID_INPUT_BODY));

    expect(classified.code).toBe('invalid_input');
    expect(classified.retryable).toBe(false);
    expect(classified.retryAfterMs).toBeUndefined();
  });

  it("names Replicate's detail and every invalid field in an invalid-input message", () => {
    const body = JSON.stringify({
      detail: 'Invalid input',
      invalid_fields: [
        { type: 'required', field: 'prompt', description: 'prompt is required' },
        { type: 'type', field: 'num_outputs', description: 'must be an integer' },
      ],
    });

    const { message } = classifyUpstreamError(httpError(422, body));

    expect(message).toContain('Invalid input');
    expect(message).toContain('prompt: prompt is required');
    expect(message).toContain('num_outputs: must be an integer');
  });

  it('uses the problem title when there is no detail', () => {
    const { message } = classifyUpstreamError(httpError(401, '{"title":"Unauthenticated","status":401}'));

    expect(message).toContain('Unauthenticated');
  });

  it.each([401, 403])('treats HTTP %i as refused credentials, not retried', (status) => {
    const classified = classifyUpstreamError(httpError(status, '{"detail":"You did not pass a valid token"}'));

    expect(classified.code).toBe('upstream_unauthorized');
    expect(classified.retryable).toBe(false);
  });

  it('treats HTTP 404 as an unknown model, not retried', () => {
    const classified = classifyUpstreamError(httpError(404, '{"detail":"Not found"}'));

    expect(classified.code).toBe('model_not_found');
    expect(classified.retryable).toBe(false);
  });

  it.each([409, 402])('treats any other HTTP %i as a rejection, not retried', (status) => {
    const classified = classifyUpstreamError(httpError(status, '{"detail":"No"}'));

    expect(classified.code).toBe('upstream_rejected');
    expect(classified.retryable).toBe(false);
    expect(classified.message).toContain(String(status));
  });

  it.each([
    [429, 'upstream_rate_limited'],
    [502, 'upstream_unavailable'],
    [422, 'invalid_input'],
    [409, 'upstream_rejected'],
  ] as const)('still classifies HTTP %i with a non-JSON body, without quoting it', (status, code) => {
    const classified = classifyUpstreamError(httpError(status, '<html><body>nginx error page</body></html>'));

    expect(classified.code).toBe(code);
    expect(classified.message).not.toContain('nginx');
  });

  it.each(['null', '"just a string"', '[1,2]', '42', ''])(
    'still classifies a JSON body that is no problem object (%s)',
    (body) => {
      const classified = classifyUpstreamError(httpError(422, body));

      expect(classified.code).toBe('invalid_input');
      expect(classified.message).not.toContain('undefined');
    },
  );

  it.each([429, 500, 400, 422, 401, 404, 409])(
    'builds the HTTP %i message from detail, title and invalid fields only',
    (status) => {
      const body = JSON.stringify({ detail: 'x', token: 'r8_secret', input: { prompt: 'private prompt' } });

      const { message } = classifyUpstreamError(httpError(status, body));

      expect(message).not.toContain('r8_secret');
      expect(message).not.toContain('private prompt');
    },
  );

  describe('rule: the message is the status meaning, then the problem detail (or title), then the invalid fields', () => {
    const messageFor = (status: number, body: unknown) =>
      classifyUpstreamError(httpError(status, typeof body === 'string' ? body : JSON.stringify(body))).message;

    it.each([
      ['detail only', { detail: 'Nope', title: 'Ignored' }, ': Nope'],
      ['fields only', { invalid_fields: [{ field: 'a', description: 'b' }] }, ': (a: b)'],
      [
        'detail and fields',
        {
          detail: 'Invalid input',
          invalid_fields: [
            { field: 'a', description: 'b' },
            { field: 'c', description: 'd' },
          ],
        },
        ': Invalid input (a: b; c: d)',
      ],
      [
        'only the usable parts of odd fields',
        {
          detail: 'Bad',
          invalid_fields: [
            null,
            'text',
            {},
            { field: 'width' },
            { description: 'too big' },
            { field: 'h', description: 7 },
          ],
        },
        ': Bad (width; too big; h)',
      ],
      ['fields that are no list', { detail: 'Bad', invalid_fields: 'width' }, ': Bad'],
      ['an empty problem', {}, ''],
      ['JSON null', 'null', ''],
      ['a JSON string', '"text"', ''],
      ['no JSON at all', '<html>', ''],
    ])('%s', (_case, body, suffix) => {
      expect(messageFor(422, body)).toBe(`The upstream API rejected the request${suffix}`);
    });

    it.each([
      [429, 'Rate limited by the upstream API: x'],
      [503, 'The upstream API answered 503: x'],
      [408, 'The upstream API answered 408: x'],
      [400, 'The upstream API rejected the request: x'],
      [403, 'The upstream API refused the credentials: x'],
      [404, 'The upstream API does not know this model: x'],
      [409, 'The upstream API answered 409: x'],
    ])('HTTP %i', (status, message) => {
      expect(messageFor(status, { detail: 'x' })).toBe(message);
    });

    it('says the upstream could not be reached on a network error', () => {
      expect(classifyUpstreamError(new TypeError('fetch failed')).message).toBe('Could not reach the upstream API');
    });
  });

  it('treats a request timeout as a retryable unavailable upstream', () => {
    const error = new UpstreamTimeoutError(30_000);

    const classified = classifyUpstreamError(error);

    expect(classified.code).toBe('upstream_unavailable');
    expect(classified.retryable).toBe(true);
    expect(classified.cause).toBe(error);
  });

  it('treats a failed fetch (TypeError) as a retryable unavailable upstream', () => {
    const error = new TypeError('fetch failed');

    const classified = classifyUpstreamError(error);

    expect(classified.code).toBe('upstream_unavailable');
    expect(classified.retryable).toBe(true);
    expect(classified.cause).toBe(error);
  });

  it("recognises a fetch failure by its name, even when it is not this realm's TypeError", () => {
    const foreign = { name: 'TypeError', message: 'fetch failed' };

    const classified = classifyUpstreamError(foreign);

    expect(classified.code).toBe('upstream_unavailable');
    expect(classified.retryable).toBe(true);
  });

  it('treats a socket error with a code as a retryable unavailable upstream', () => {
    const error = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

    const classified = classifyUpstreamError(error);

    expect(classified.code).toBe('upstream_unavailable');
    expect(classified.retryable).toBe(true);
    expect(classified.cause).toBe(error);
  });

  it('passes a GenerationError through unchanged', () => {
    const original = new GenerationError('prediction_failed', 'The model refused', { retryable: false });

    expect(classifyUpstreamError(original)).toBe(original);
  });

  it.each([
    ['a plain Error', new Error('boom')],
    ['a RangeError', new RangeError('out of range')],
    ['a string', 'something broke'],
    ['undefined', undefined],
    ['null', null],
  ])('treats %s as an internal error', (_label, thrown) => {
    const classified = classifyUpstreamError(thrown);

    expect(classified).toBeInstanceOf(GenerationError);
    expect(classified.code).toBe('internal_error');
    expect(classified.retryable).toBe(true);
    expect(classified.cause).toBe(thrown);
  });
});
