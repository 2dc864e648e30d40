import type { JobProgressRecord } from '@app/database';
import { isTerminal } from './job-lifecycle';
import type { JobView } from './job-presenter';

/**
 * What a job's event stream sends: `status` (the whole job, first and on each change of status,
 * attempt, error or queue position), `progress` (the running attempt's progress) and `done`
 * (the whole job once it is terminal; the stream then ends).
 */
export type JobStreamEvent =
  | { event: 'status'; id: string; data: JobView }
  | { event: 'progress'; id: string; data: JobProgressRecord }
  | { event: 'done'; id: string; data: JobView };

/** What a client was last sent, to tell what changed since. */
export interface SentState {
  status: string;
  progressAt: string | null;
}

/** The event id of a job's current state: it changes with every write to the row and with the queue position. */
export function stateId(view: JobView): string {
  return `${Date.parse(view.updatedAt)}-${view.queuePosition ?? ''}`;
}

/** What a client that saw the state `id` (its Last-Event-ID) has seen, or null if that is not the current state. */
export function sentBefore(lastEventId: string | undefined, view: JobView): SentState | null {
  return lastEventId === stateId(view) && !isTerminal(view.status) ? sentState(view) : null;
}

/**
 * The one place where a stream decides what to send: the events that bring a client from `sent`
 * (null: it saw nothing yet) to `view`, and the state it has seen after them.
 */
export function eventsSince(sent: SentState | null, view: JobView): { events: JobStreamEvent[]; sent: SentState } {
  const id = stateId(view);
  const next = sentState(view);
  if (isTerminal(view.status)) return { events: [{ event: 'done', id, data: view }], sent: next };
  if (!sent || sent.status !== next.status) return { events: [{ event: 'status', id, data: view }], sent: next };
  if (view.progress && sent.progressAt !== next.progressAt) {
    return { events: [{ event: 'progress', id, data: view.progress }], sent: next };
  }
  return { events: [], sent: next };
}

function sentState(view: JobView): SentState {
  const status = [
    view.status,
    view.attempts,
    view.error?.code ?? '',
    view.queuePosition ?? '',
    view.attemptHistory.length,
  ].join('|');
  return { status, progressAt: view.progress?.updatedAt ?? null };
}
