import type { JobsOptions } from 'bullmq';

export const GENERATION_QUEUE = 'generation';

/** Scheduled housekeeping (retention), run by one worker per tick across all replicas. */
export const MAINTENANCE_QUEUE = 'maintenance';

/** What a BullMQ job carries: only the row id. PostgreSQL holds everything else. */
export interface GenerationJobData {
  jobId: string;
}

/** Retry policy shared by every generation job: exponential backoff with jitter. */
export function generationJobOptions(attempts: number, backoffMs: number): JobsOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: backoffMs, jitter: 0.5 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
