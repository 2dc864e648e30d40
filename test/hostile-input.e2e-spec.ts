import { rawRequest } from './support/raw-http';
import { useService } from './support/service';

const JSON_TYPE = { 'content-type': 'application/json' };
const ID = '9b2f9a43-3c3e-4f3a-9d51-0c8f0f3f6b7e';

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < levels; level += 1) value = { deeper: value };
  return value;
}

const cursor = (text: string) => Buffer.from(text).toString('base64url');

interface HostileCase {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
  code: string;
  /** The field the problem must name, when it is about one field. */
  field?: string;
}

const generate = (body: unknown, field: string): HostileCase => ({
  method: 'POST',
  path: '/v1/generate',
  headers: JSON_TYPE,
  body: JSON.stringify(body),
  status: 400,
  code: 'validation_failed',
  field,
});

const listJobs = (query: string, field: string, code = 'validation_failed'): HostileCase => ({
  method: 'GET',
  path: `/v1/jobs?${query}`,
  status: 400,
  code,
  ...(field && { field }),
});

/** Each hostile request and the problem it must get: a clear 4xx, never a 500. */
const CASES: Record<string, HostileCase> = {
  'a NUL in the prompt': generate({ prompt: 'fox\u0000' }, 'prompt'),
  'a NUL in an input value': generate({ prompt: 'fox', input: { style: 'x\u0000y' } }, 'input.style'),
  'a NUL deep inside input': generate({ prompt: 'fox', input: { a: { b: ['ok', '\u0000'] } } }, 'input.a.b.1'),
  'a NUL in an input key': generate({ prompt: 'fox', input: { a: { 'k\u0000': 1 } } }, 'input.a'),
  'a NUL in the webhook URL': generate({ prompt: 'fox', webhook: 'https://example.com/\u0000' }, 'webhook'),
  'input nested 33 deep': generate({ prompt: 'fox', input: nested(32) }, 'input'),
  'input nested 2,000 deep': generate({ prompt: 'fox', input: nested(2000) }, 'input'),
  'a body of 30,000 nested arrays': {
    method: 'POST',
    path: '/v1/generate',
    headers: JSON_TYPE,
    body: `${'['.repeat(30_000)}${']'.repeat(30_000)}`,
    status: 400,
    code: 'validation_failed',
  },
  'a __proto__ key': {
    method: 'POST',
    path: '/v1/generate',
    headers: JSON_TYPE,
    body: '{"prompt":"fox","__proto__":{"admin":true}}',
    status: 400,
    code: 'bad_request',
  },
  'malformed JSON': {
    method: 'POST',
    path: '/v1/generate',
    headers: JSON_TYPE,
    body: '{"prompt":',
    status: 400,
    code: 'bad_request',
  },
  'a body over the size limit': {
    method: 'POST',
    path: '/v1/generate',
    headers: JSON_TYPE,
    body: JSON.stringify({ prompt: 'x'.repeat(70_000) }),
    status: 413,
    code: 'payload_too_large',
  },
  'a form body': {
    method: 'POST',
    path: '/v1/generate',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'prompt=fox',
    status: 415,
    code: 'unsupported_media_type',
  },
  'a NUL in a query parameter': listJobs('model=%00', 'model'),
  'createdAfter before year 1': listJobs('createdAfter=-010000-01-01T00:00:00Z', 'createdAfter'),
  'createdBefore after year 9999': listJobs('createdBefore=%2B200000-01-01T00:00:00Z', 'createdBefore'),
  'a cursor dated before year 1': listJobs(
    `cursor=${cursor(`-010000-01-01T00:00:00.000Z|${ID}`)}`,
    '',
    'invalid_cursor',
  ),
  'a cursor dated after year 9999': listJobs(
    `cursor=${cursor(`+200000-01-01T00:00:00.000Z|${ID}`)}`,
    '',
    'invalid_cursor',
  ),
  'a job id that is not a UUID': {
    method: 'GET',
    path: '/v1/status/42',
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  'a path parameter over 100 characters': {
    method: 'GET',
    path: `/v1/status/${'a'.repeat(200)}`,
    status: 414,
    code: 'uri_too_long',
  },
  'bad percent-encoding in the path': { method: 'GET', path: '/v1/status/%E0%A4%A', status: 400, code: 'bad_request' },
  'headers over 16 KiB': {
    method: 'GET',
    path: '/v1/jobs',
    headers: { 'x-padding': 'x'.repeat(20_000) },
    status: 431,
    code: 'request_header_fields_too_large',
  },
  'a NUL in a header': {
    method: 'POST',
    path: '/v1/generate',
    headers: { ...JSON_TYPE, 'idempotency-key': 'key\u0000' },
    body: '{"prompt":"fox"}',
    status: 400,
    code: 'bad_request',
  },
  'a request line that is not HTTP': { method: 'NOT A METHOD', path: '/', status: 400, code: 'bad_request' },
  'an unknown route': { method: 'GET', path: '/v1/nothing-here', status: 404, code: 'not_found' },
};

describe('hostile input gets a clear 4xx problem, never a 500', () => {
  const running = useService();

  it.each(Object.entries(CASES))('%s', async (_name, hostile) => {
    const answer = await rawRequest(running.service.baseUrl, hostile.method, hostile.path, {
      headers: hostile.headers,
      body: hostile.body,
    });

    expect({ status: answer.status, contentType: answer.headers['content-type'] }).toEqual({
      status: hostile.status,
      contentType: expect.stringMatching(/^application\/problem\+json/),
    });
    const problem = JSON.parse(answer.body);
    expect(problem).toMatchObject({
      status: hostile.status,
      code: hostile.code,
      type: `urn:mediagen:problem:${hostile.code}`,
    });
    if (hostile.field) expect(problem.errors).toEqual([expect.objectContaining({ field: hostile.field })]);
  });

  it('accepts input nested right up to the limit', async () => {
    const answer = await rawRequest(running.service.baseUrl, 'POST', '/v1/generate', {
      headers: JSON_TYPE,
      body: JSON.stringify({ prompt: 'fox', input: { width: 16, height: 16, extra: nested(30) } }),
    });
    expect(answer.status).toBe(202);
  });

  describe('an upper-case job id is the same job on every route', () => {
    let id: string;

    beforeAll(async () => {
      const job = await running.client.submit({ prompt: 'case', input: { width: 16, height: 16 } });
      id = (await running.client.waitUntilDone(job.id)).id;
    });

    it.each([
      ['status', 'GET', (jobId: string) => `/v1/status/${jobId}`],
      ['media', 'GET', (jobId: string) => `/v1/media/${jobId}/0.png`],
      ['deliveries', 'GET', (jobId: string) => `/v1/jobs/${jobId}/deliveries`],
      ['cancel', 'POST', (jobId: string) => `/v1/jobs/${jobId}/cancel`],
    ])('%s', async (_route, method, path) => {
      const lower = await rawRequest(running.service.baseUrl, method, path(id));
      const upper = await rawRequest(running.service.baseUrl, method, path(id.toUpperCase()));

      expect(upper.status).toBe(lower.status);
      expect(upper.status).toBeLessThan(500);
      expect(upper.status).not.toBe(404);
      expect(upper.headers['content-type']).toBe(lower.headers['content-type']);
      expect(upper.body.length).toBe(lower.body.length);
    });
  });
});
