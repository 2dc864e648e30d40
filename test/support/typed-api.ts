import { setTimeout as sleep } from 'node:timers/promises';
import { createMediagenClient, type JobResource, type MediagenClient, type ProblemDetails } from '@app/client';

/**
 * Small helpers around the generated client (`@app/client`) for specs that need what JobsClient
 * does not offer: an API key on every request, request headers (Prefer, Idempotency-Key), and the
 * response headers of every answer.
 */

export type Job = JobResource;

const TERMINAL: readonly Job['status'][] = ['succeeded', 'failed', 'canceled'];

export function isTerminalStatus(status: Job['status']): boolean {
  return TERMINAL.includes(status);
}

/** A generated client; with `key`, every request carries `Authorization: Bearer <key>`. */
export function typedClient(baseUrl: string, key?: string): MediagenClient {
  return createMediagenClient(baseUrl, key ? { headers: { authorization: `Bearer ${key}` } } : {});
}

/** The job, or a thrown error naming the answer. */
export async function readJob(api: MediagenClient, id: string): Promise<Job> {
  const { data, error, response } = await api.GET('/v1/status/{id}', { params: { path: { id } } });
  if (!data) throw new Error(`status of ${id} answered ${response.status}: ${JSON.stringify(error)}`);
  return data;
}

/** Polls the job until `done(job)` holds; throws after `timeoutMs`. */
export async function waitForJob(
  api: MediagenClient,
  id: string,
  done: (job: Job) => boolean,
  timeoutMs = 15_000,
  what = 'the expected state',
): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await readJob(api, id);
    if (done(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} did not reach ${what} in ${timeoutMs} ms (${job.status})`);
    await sleep(25);
  }
}

export function waitUntilTerminal(api: MediagenClient, id: string, timeoutMs = 15_000): Promise<Job> {
  return waitForJob(api, id, (job) => isTerminalStatus(job.status), timeoutMs, 'a terminal status');
}

/** Submits through the generated client and fails loudly unless the job was accepted. */
export async function submitJob(
  api: MediagenClient,
  body: { prompt: string; model?: string; input?: Record<string, unknown> },
): Promise<Job> {
  const { data, error, response } = await api.POST('/v1/generate', { body });
  if (!data) throw new Error(`submit answered ${response.status}: ${JSON.stringify(error)}`);
  return data;
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

/** Runs `work` and measures how long it took. */
export async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

/** Polls `check` until it returns a value other than undefined; throws after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  what = 'a condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}
