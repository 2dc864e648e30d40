import { MAX_WAIT_SECONDS } from '@app/jobs';
import { Headers } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/** Seconds asked for with `Prefer: wait=N` (RFC 7240), capped at MAX_WAIT_SECONDS; 0 when absent. */
export function preferredWaitSeconds(prefer: string | undefined): number {
  const match = /(?:^|[,;\s])wait\s*=\s*(\d+)/i.exec(prefer ?? '');
  return match ? Math.min(Number(match[1]), MAX_WAIT_SECONDS) : 0;
}

export const PreferHeader = () => Headers('prefer');

/** Tells the client the wait preference was honoured (RFC 7240 lets a server ignore it: then say nothing). */
export function applyPreference(reply: FastifyReply, seconds: number): void {
  reply.header('preference-applied', `wait=${seconds}`);
}
