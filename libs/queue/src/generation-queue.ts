import type { JobsOptions } from 'bullmq';

export const GENERATION_QUEUE = 'generation';

/** Scheduled housekeeping (retention), run by one worker per tick across all replicas. */
export const MAINTENANCE_QUEUE = 'maintenance';

/**
 * How long a job has waited out a PostgreSQL or Redis outage (see the worker's processor); kept
 * on the BullMQ job because the database may be the thing that is down.
 */
export interface OutageWait {
  /** When the first check that found the outage ran (epoch ms). */
  since: number;
  checks: number;
  /** An attempt that began but could not record its outcome; given back when the job runs again. */
  unrecordedAttempt?: number;
}

/** What a BullMQ job carries: the row id (PostgreSQL holds everything else), and any outage wait. */
export interface GenerationJobData {
  jobId: string;
  outage?: OutageWait;
}

/**
 * BullMQ's own try limit, set out of reach: the job's row in PostgreSQL is the only authority on
 * attempts left (the worker ends a job with UnrecoverableError when the row says so), so a try
 * BullMQ counts for a reason that used no attempt can never end a job early.
 */
const QUEUE_TRIES = 2 ** 31 - 1;

/** Retry policy shared by every generation job: exponential backoff with jitter between attempts. */
export function generationJobOptions(backoffMs: number): JobsOptions {
  return {
    attempts: QUEUE_TRIES,
    backoff: { type: 'exponential', delay: backoffMs, jitter: 0.5 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
