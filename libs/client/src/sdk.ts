import type { MediagenClient } from './client';
import type { components } from './schema';

type JobResource = components['schemas']['JobResource'];
type JobOutput = components['schemas']['JobOutput'];
type ProblemDetails = components['schemas']['ProblemDetails'];
type GenerateRequest = components['schemas']['GenerateRequest'];

const TERMINAL: readonly JobResource['status'][] = ['succeeded', 'failed', 'canceled'];

/** The API answered with an error (a problem+json body when it could be read), or could not be reached. */
export class MediagenApiError extends Error {
  override name = 'MediagenApiError';

  constructor(
    readonly status: number,
    readonly problem?: ProblemDetails,
  ) {
    super(
      problem ? `${status} ${problem.code ?? problem.title}: ${problem.detail ?? problem.title}` : `HTTP ${status}`,
    );
  }
}

/** The job ended `failed` or `canceled`; `job` holds its final state and error. */
export class JobFailedError extends Error {
  override name = 'JobFailedError';

  constructor(readonly job: JobResource) {
    super(`job ${job.id} ${job.status}${job.error ? `: ${job.error.code}: ${job.error.message}` : ''}`);
  }
}

export interface FollowOptions {
  /** Called with the job whenever its status or attempt changes (and once at the start). */
  onUpdate?: (job: JobResource) => void;
  /** Time between reads of the job (default 500 ms). */
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

export interface RunOptions extends FollowOptions, Omit<GenerateRequest, 'prompt'> {
  /** Sent as `Idempotency-Key`: a retried `run` with the same key follows the same job. */
  idempotencyKey?: string;
}

function check<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data === undefined) throw new MediagenApiError(answer.response.status, answer.error as ProblemDetails);
  return answer.data;
}

/** Submits a job (`POST /v1/generate`) and returns it as accepted. */
export async function submit(
  client: MediagenClient,
  request: GenerateRequest,
  idempotencyKey?: string,
): Promise<JobResource> {
  const headers = idempotencyKey ? { 'idempotency-key': idempotencyKey } : undefined;
  return check(await client.POST('/v1/generate', { body: request, headers }));
}

/** Reads the job once (`GET /v1/jobs/{id}`). */
export async function getJob(client: MediagenClient, id: string, signal?: AbortSignal): Promise<JobResource> {
  return check(await client.GET('/v1/jobs/{id}', { params: { path: { id } }, signal }));
}

/** Reads the job until it is terminal (`GET /v1/jobs/{id}`), reporting each change to `onUpdate`. */
export async function follow(client: MediagenClient, id: string, options: FollowOptions = {}): Promise<JobResource> {
  const interval = options.pollIntervalMs ?? 500;
  let seen = '';
  for (;;) {
    const job = await getJob(client, id, options.signal);
    const state = `${job.status}/${job.attempts}`;
    if (state !== seen) options.onUpdate?.(job);
    seen = state;
    if (TERMINAL.includes(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/**
 * Submits `prompt`, follows the job to its end and returns it with its outputs. A job that ends
 * `failed` or `canceled` throws `JobFailedError`; an error answer throws `MediagenApiError`.
 */
export async function run(
  client: MediagenClient,
  prompt: string,
  options: RunOptions = {},
): Promise<{ job: JobResource; outputs: JobOutput[] }> {
  const { idempotencyKey, onUpdate, pollIntervalMs, signal, ...request } = options;
  const submitted = await submit(client, { prompt, ...request }, idempotencyKey);
  const job = await follow(client, submitted.id, { onUpdate, pollIntervalMs, signal });
  if (job.status !== 'succeeded') throw new JobFailedError(job);
  return { job, outputs: job.outputs };
}

/** Downloads one output of job `jobId` (`GET /v1/media/{jobId}/{file}`): its bytes and content type. */
export async function download(
  client: MediagenClient,
  jobId: string,
  output: Pick<JobOutput, 'file'>,
): Promise<{ bytes: Uint8Array; contentType: string }> {
  const answer = await client.GET('/v1/media/{jobId}/{file}', {
    params: { path: { jobId, file: output.file } },
    parseAs: 'arrayBuffer',
  });
  const data = check(answer) as unknown as ArrayBuffer;
  return {
    bytes: new Uint8Array(data),
    contentType: answer.response.headers.get('content-type') ?? 'application/octet-stream',
  };
}
