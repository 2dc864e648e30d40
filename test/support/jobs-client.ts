import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMediagenClient, type JobResource, type MediagenClient } from '@app/client';

export type JobBody = JobResource;

const TERMINAL: JobResource['status'][] = ['succeeded', 'failed', 'canceled'];

/**
 * The e2e specs' client: every call to a documented route goes through the client generated from
 * openapi.json, so a contract break fails the suite. Results come back as plain Responses so specs
 * can check status, headers and body alike.
 */
export class JobsClient {
  readonly api: MediagenClient;

  constructor(private readonly baseUrl: string) {
    this.api = createMediagenClient(baseUrl);
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

  async submit(body: { prompt: string; model?: string; input?: Record<string, unknown> }): Promise<JobBody> {
    const { data, error, response } = await this.api.POST('/v1/generate', { body });
    if (!data) throw new Error(`submit answered ${response.status}: ${JSON.stringify(error)}`);
    return data;
  }

  async job(id: string): Promise<JobBody> {
    const { data, error, response } = await this.api.GET('/v1/status/{id}', { params: { path: { id } } });
    if (!data) throw new Error(`status answered ${response.status}: ${JSON.stringify(error)}`);
    return data;
  }

  /** Polls the status endpoint until the job is terminal. */
  async waitUntilDone(id: string, timeoutMs = 20_000): Promise<JobBody> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.job(id);
      if (TERMINAL.includes(job.status)) return job;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
      await sleep(25);
    }
  }

  /** Downloads an output by its public URL (whose origin is PUBLIC_BASE_URL) through the typed media route. */
  async media(url: string, headers: Record<string, string> = {}): Promise<Response> {
    const [, , , jobId, file] = new URL(url).pathname.split('/');
    const { data, error, response } = await this.api.GET('/v1/media/{jobId}/{file}', {
      params: { path: { jobId, file } },
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

/** A fresh Response carrying what openapi-fetch already read from `response`. */
function replay(response: Response, body: unknown): Response {
  const text = body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body);
  return new Response(response.status === 304 ? null : text, { status: response.status, headers: response.headers });
}
