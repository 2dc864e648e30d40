import type { Queue } from 'bullmq';

/**
 * The one way to queue a job id again: BullMQ ignores `add` for an id it still holds, even a
 * finished one, so a completed or failed entry is removed first. Returns false, adding nothing,
 * when BullMQ still holds the job in a state from which it will run it.
 */
export async function queueAgain(queue: Queue, jobId: string, add: () => Promise<void>): Promise<boolean> {
  const existing = await queue.getJob(jobId);
  if (existing && !((await existing.isCompleted()) || (await existing.isFailed()))) return false;
  await existing?.remove();
  await add();
  return true;
}
