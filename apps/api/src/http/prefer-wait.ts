import { type JobControlService, type JobEntity, MAX_WAIT_SECONDS } from '@app/jobs';
import { Headers } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/** `wait` or `wait=N` as one preference of a `Prefer` header (RFC 7240); `waiting=1` is not it. */
const WAIT_PREFERENCE = /(?:^|[,;\s])wait(?:\s*=\s*"?(\d+)"?)?\s*(?=[,;]|$)/i;

/**
 * Seconds asked for with `Prefer: wait=N` (RFC 7240), capped at MAX_WAIT_SECONDS; a bare
 * `Prefer: wait` (as Replicate's clients send it) asks for the most, MAX_WAIT_SECONDS; 0 when absent.
 */
export function preferredWaitSeconds(prefer: string | undefined): number {
  const match = WAIT_PREFERENCE.exec(prefer ?? '');
  if (!match) return 0;
  return match[1] === undefined ? MAX_WAIT_SECONDS : Math.min(Number(match[1]), MAX_WAIT_SECONDS);
}

export const PreferHeader = () => Headers('prefer');

/** Tells the client the wait preference was honoured (RFC 7240 lets a server ignore it: then say nothing). */
export function applyPreference(reply: FastifyReply, seconds: number): void {
  reply.header('preference-applied', `wait=${seconds}`);
}

/**
 * The job once it is terminal or the wait `prefer` asks for is over (at once without one), and
 * `Preference-Applied` when the wait was honoured.
 */
export async function waitAsPreferred(
  control: JobControlService,
  job: JobEntity,
  owner: string,
  prefer: string | undefined,
  reply: FastifyReply,
): Promise<JobEntity> {
  const seconds = preferredWaitSeconds(prefer);
  if (seconds === 0) return job;
  const outcome = await control.waitUntilFinished(job.id, owner, seconds);
  if (outcome.honoured) applyPreference(reply, seconds);
  return outcome.job;
}
