import type {
  JobAttemptRecord,
  JobEntity,
  JobErrorRecord,
  JobOutputRecord,
  JobProgressRecord,
  JobStatus,
} from '@app/database';

/** The public view of a job, as the API returns it and webhooks carry it. */
export interface JobView {
  id: string;
  status: JobStatus;
  prompt: string;
  model: string;
  input: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
  error: JobErrorRecord | null;
  outputs: { url: string; file: string; contentType: string; bytes: number; sha256: string }[];
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  updatedAt: string;
  outputsExpiredAt: string | null;
  progress: JobProgressRecord | null;
  queuePosition: number | null;
  attemptHistory: JobAttemptRecord[];
}

/**
 * The outputs a job offers: only once it succeeded (a job an older release's attempt claimed lists
 * its outputs while still processing, before they are published).
 */
export function publishedOutputs(job: JobEntity): JobOutputRecord[] {
  return job.status === 'succeeded' ? job.outputs : [];
}

/**
 * Output URLs are absolute, built from PUBLIC_BASE_URL. `queuePosition` (jobs waiting ahead of
 * a queued job) is known only to those who asked the queue; it is null otherwise.
 */
export function presentJob(job: JobEntity, publicBaseUrl: string, queuePosition: number | null = null): JobView {
  return {
    id: job.id,
    status: job.status,
    prompt: job.prompt,
    model: job.model,
    input: job.input,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    error: job.error,
    outputs: publishedOutputs(job).map((output) => ({
      url: `${publicBaseUrl}/v1/media/${job.id}/${output.file}`,
      file: output.file,
      contentType: output.contentType,
      bytes: output.bytes,
      sha256: output.sha256,
    })),
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    completedAt: job.completedAt?.toISOString() ?? null,
    updatedAt: job.updatedAt.toISOString(),
    outputsExpiredAt: job.outputsExpiredAt?.toISOString() ?? null,
    progress: job.status === 'processing' ? job.progress : null,
    queuePosition: job.status === 'queued' ? queuePosition : null,
    attemptHistory: job.attemptHistory,
  };
}
