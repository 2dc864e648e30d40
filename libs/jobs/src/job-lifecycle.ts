import type { JobEntity, JobStatus } from '@app/database';

/** Which status may follow which. `processing → processing` is a stalled attempt started again. */
const TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  queued: ['processing', 'failed', 'canceled'],
  processing: ['processing', 'queued', 'succeeded', 'failed', 'canceled'],
  succeeded: [],
  failed: [],
  canceled: [],
};

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(status: JobStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** The states a job may be in for a move to `to` to be allowed. */
export function statusesLeadingTo(to: JobStatus): JobStatus[] {
  return (Object.keys(TRANSITIONS) as JobStatus[]).filter((from) => canTransition(from, to));
}

/**
 * An attempt of a release before attempt-named outputs claimed the row with its outputs (it stayed
 * processing); only that attempt's publication may follow.
 */
export function isClaimed(job: Pick<JobEntity, 'status' | 'outputs'>): boolean {
  return job.status === 'processing' && job.outputs.length > 0;
}
