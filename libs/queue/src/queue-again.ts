import type { JobState, Queue } from 'bullmq';

/** Queue states in which BullMQ will still run a job by itself. */
const LIVE_STATES: readonly (JobState | 'unknown')[] = [
  'waiting',
  'delayed',
  'active',
  'prioritized',
  'waiting-children',
];

/** Whether BullMQ holds the job in a state from which it will run it (not finished, not lost). */
export async function isLive(queue: Queue, jobId: string): Promise<boolean> {
  return LIVE_STATES.includes(await queue.getJobState(jobId));
}

/**
 * The one way to queue a job id again: BullMQ ignores `add` for an id it still holds, so an entry
 * it will not run by itself is removed first — finished (completed, failed) or stranded (its data
 * survived a partial loss of Redis data but it sits in no list: state `unknown`). Returns false,
 * adding nothing, when BullMQ still holds the job in a state from which it will run it.
 */
export async function queueAgain(queue: Queue, jobId: string, add: () => Promise<void>): Promise<boolean> {
  if (await isLive(queue, jobId)) return false;
  await (await queue.getJob(jobId))?.remove();
  await add();
  return true;
}
