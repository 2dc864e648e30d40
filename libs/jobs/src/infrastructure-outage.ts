import { isDatabaseUnavailable } from '@app/database';
import { isRedisUnavailable, type OutageWait } from '@app/queue';

/** The first check after an outage comes this soon; each later one waits twice as long, up to a minute. */
const FIRST_CHECK_MS = 1000;
const MAX_CHECK_INTERVAL_MS = 60_000;

/** Whether `error`, raised by our own database or queue calls, says PostgreSQL or Redis cannot serve now. */
export function isInfrastructureUnavailable(error: unknown): boolean {
  return isDatabaseUnavailable(error) || isRedisUnavailable(error);
}

export type OutageDecision = { giveUp: true } | { giveUp: false; delayMs: number; wait: OutageWait };

/**
 * The one place where a job's wait through a PostgreSQL or Redis outage is decided. A job whose
 * attempt could not start or record its outcome waits with capped exponential backoff (with
 * jitter, so the queue's jobs do not all come back at once), using no attempt, until the outage
 * has lasted `maxMs`; then it gives up (and fails `infrastructure_unavailable`).
 */
export function decideOutageWait(
  previous: OutageWait | undefined,
  unrecordedAttempt: number | undefined,
  now: number,
  maxMs: number,
  random: () => number = Math.random,
): OutageDecision {
  const since = previous?.since ?? now;
  if (now - since >= maxMs) return { giveUp: true };
  const checks = (previous?.checks ?? 0) + 1;
  const ceiling = Math.min(FIRST_CHECK_MS * 2 ** (checks - 1), MAX_CHECK_INTERVAL_MS);
  const delayMs = Math.round(ceiling * (0.5 + random() / 2));
  // An attempt still to settle stays remembered until a run settles it.
  const pending = unrecordedAttempt ?? previous?.unrecordedAttempt;
  return {
    giveUp: false,
    delayMs,
    wait: { since, checks, ...(pending !== undefined && { unrecordedAttempt: pending }) },
  };
}
