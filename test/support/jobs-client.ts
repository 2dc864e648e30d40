import { request } from 'node:http';
import { createMediagenClient, type JobResource, type MediagenClient, type ProblemDetails } from '@app/client';
import { eventually } from './timing';

export type Job = JobResource;

const TERMINAL: readonly Job['status'][] = ['succeeded', 'failed', 'canceled'];

export function isTerminalStatus(status: Job['status']): boolean {
  return TERMINAL.includes(status);
}

/**
 * The e2e specs' one client: every call to a documented route goes through the client generated
 * from openapi.json (`api`), so a contract break fails the suite. With `key`, every request
 * carries `Authorization: Bearer <key>`. The helpers below return either the job or, for specs
 * that check status, headers and body alike, a plain Response.
 */
export class JobsClient {
  readonly api: MediagenClient;

  constructor(
    private readonly baseUrl: string,
    key?: string,
  ) {
    this.api = createMediagenClient(baseUrl, key ? { headers: { authorization: `Bearer ${key}` } } : {});
  }

  /** POST /v1/generate with a raw body (possibly malformed) and headers. */
  async post(
    _path: '/v1/generate',
    body: string,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ): Promise<Response> {
    const { data, error, response } = await this.api.POST('/v1/generate', {
      body: {} as never,
      bodySerializer: () => body,
      headers,
    });
    return replay(response, data ?? error);
  }

  async getStatus(id: string): Promise<Response> {
    const { data, error, response } = await this.api.GET('/v1/status/{id}', { params: { path: { id } } });
    return replay(response, data ?? error);
  }

  /** A GET on any path, typed or not (unknown routes included). */
  get(path: string, headers: Record<string, string> = {}) {
    return fetch(`${this.baseUrl}${path}`, { headers });
  }

  /** Submits a job and fails loudly unless it was accepted. */
  async submit(body: { prompt: string; model?: string; input?: Record<string, unknown> }): Promise<Job> {
    const { data, error, response } = await this.api.POST('/v1/generate', { body });
    if (!data) throw new Error(`submit answered ${response.status}: ${JSON.stringify(error)}`);
    return data;
  }

  /** The job, or a thrown error naming the answer. */
  async job(id: string): Promise<Job> {
    const { data, error, response } = await this.api.GET('/v1/status/{id}', { params: { path: { id } } });
    if (!data) throw new Error(`status of ${id} answered ${response.status}: ${JSON.stringify(error)}`);
    return data;
  }

  /** Polls the job until `done(job)` holds; throws after `timeoutMs`. */
  async waitFor(
    id: string,
    done: (job: Job) => boolean,
    timeoutMs = 20_000,
    what = 'the expected state',
  ): Promise<Job> {
    let last: Job | undefined;
    return eventually(
      async () => {
        last = await this.job(id);
        return done(last) ? last : undefined;
      },
      timeoutMs,
      () => `job ${id} to reach ${what} (still ${last?.status})`,
    );
  }

  /** Polls the job until it is terminal. */
  waitUntilDone(id: string, timeoutMs = 20_000): Promise<Job> {
    return this.waitFor(id, (job) => isTerminalStatus(job.status), timeoutMs, 'a terminal status');
  }

  /** Downloads an output by its public URL (whose origin is PUBLIC_BASE_URL) through the typed media route. */
  async media(url: string, headers: Record<string, string> = {}): Promise<Response> {
    const { data, error, response } = await this.api.GET('/v1/media/{jobId}/{file}', {
      params: { path: mediaPath(url) },
      headers,
      parseAs: 'arrayBuffer',
    });
    if (data instanceof ArrayBuffer) return new Response(data, { status: response.status, headers: response.headers });
    return replay(response, error);
  }

  /** A GET whose path is sent byte for byte (fetch would normalise `..` and `%2E%2E` away). */
  rawGet(path: string): Promise<{ status: number; contentType: string | undefined; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(`${this.baseUrl}${path}`, { method: 'GET' }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'],
            body: Buffer.concat(chunks).toString(),
          }),
        );
      });
      req.on('error', reject);
      req.end();
    });
  }
}

/** `{ jobId, file }` of a public output URL (`…/v1/media/{jobId}/{file}`). */
export function mediaPath(url: string): { jobId: string; file: string } {
  const [, , , jobId, file] = new URL(url).pathname.split('/');
  return { jobId, file };
}

/** Checks that an error answer is an RFC 9457 problem with `status` and `code`; returns its body. */
export function expectProblem(
  response: Response,
  body: ProblemDetails | undefined,
  status: number,
  code?: string | RegExp,
): ProblemDetails {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(body).toMatchObject({ status, type: expect.stringMatching(/^urn:mediagen:problem:/) });
  if (typeof code === 'string') expect(body?.code).toBe(code);
  else if (code) expect(body?.code).toMatch(code);
  return body as ProblemDetails;
}

/** A fresh Response carrying what openapi-fetch already read from `response`. */
function replay(response: Response, body: unknown): Response {
  const text = body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body);
  return new Response(response.status === 304 ? null : text, { status: response.status, headers: response.headers });
}
