import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface JobBody {
  id: string;
  status: string;
  attempts: number;
  maxAttempts: number;
  error: { code: string; message: string; retryable: boolean } | null;
  outputs: { url: string; contentType: string; bytes: number; sha256: string }[];
  [key: string]: unknown;
}

const TERMINAL = ['succeeded', 'failed', 'canceled'];

/** A thin HTTP client for the e2e specs: real requests against the running api. */
export class JobsClient {
  constructor(private readonly baseUrl: string) {}

  post(path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
    return fetch(`${this.baseUrl}${path}`, { method: 'POST', headers, body });
  }

  get(path: string, headers: Record<string, string> = {}) {
    return fetch(`${this.baseUrl}${path}`, { headers });
  }

  async submit(body: Record<string, unknown>): Promise<JobBody> {
    const response = await this.post('/v1/generate', JSON.stringify(body));
    if (response.status !== 202) throw new Error(`submit answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as JobBody;
  }

  async job(id: string): Promise<JobBody> {
    const response = await this.get(`/v1/status/${id}`);
    if (response.status !== 200) throw new Error(`status answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as JobBody;
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

  /** Fetches an output by the path of its public URL (whose origin is PUBLIC_BASE_URL). */
  media(url: string, headers: Record<string, string> = {}) {
    return this.get(new URL(url).pathname, headers);
  }
}
