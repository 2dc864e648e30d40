import type { JobErrorRecord } from '@app/database';

/**
 * The one place where "this is the last attempt" is decided, for jobs and webhook deliveries
 * alike: attempts are numbered from 1, and attempt `maxAttempts` is the last one allowed.
 */
export function isFinalAttempt(attempt: number, maxAttempts: number): boolean {
  return attempt >= maxAttempts;
}

/** Why a job failed whose last attempt was lost (its worker died or Redis forgot it). */
export const ATTEMPTS_EXHAUSTED: JobErrorRecord = {
  code: 'attempts_exhausted',
  message: 'The last attempt was lost and no attempt is left',
  retryable: true,
};

/** The history's note on an attempt that was lost (its worker stopped answering) and whose job was queued again. */
export const ATTEMPT_LOST: JobErrorRecord = {
  code: 'attempt_lost',
  message: 'The attempt was lost (its worker stopped answering); the job was queued again',
  retryable: true,
};
