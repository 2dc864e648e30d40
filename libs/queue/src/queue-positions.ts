import { settlesWithin } from './settles-within';

/** A queued job as its queue position needs it: its id, and when it was stored (by PostgreSQL's clock). */
export interface QueuedJob {
  readonly id: string;
  readonly createdAt: Date;
}

/** The job at the front of a waiting list (none when it is empty) and how many jobs wait in all. */
export interface ListHead {
  front: string | undefined;
  length: number;
}

/** BullMQ's waiting list, read from its front: the end the workers take from. */
export interface WaitingList {
  /** The ids of the `count` jobs nearest the front, the front last, and how many jobs wait in all. */
  front(count: number): Promise<{ ids: string[]; length: number }>;
  /** The list's head: enough to tell whether it moved since a read of its front. */
  head(): Promise<ListHead>;
  /** How many jobs wait ahead of each of `ids`, for those found among the `count` nearest the front. */
  find(ids: readonly string[], count: number): Promise<Map<string, number>>;
}

/** How far from the front positions are known; further back a job's position is unknown. */
export const POSITIONS_KNOWN = 10_000;
/** Queue positions are a nicety: past this wait for Redis they are left unknown. */
const READ_TIMEOUT_MS = 250;
/** How long one read of the list's front answers for. */
export const SNAPSHOT_TTL_MS = 500;
/** How far PostgreSQL's clock (a job's createdAt) may be ahead of or behind this process's. */
export const CLOCK_SKEW_MS = 1_000;

interface Snapshot {
  takenAt: number;
  head: ListHead;
  positions: Map<string, number>;
}

/**
 * How many jobs wait ahead of queued ones. Asking Redis on every status read of a queued job is a
 * round trip per read; instead one read of the list's front answers every question of this process
 * for half a second. A job stored after that read is looked up on its own, so a job that was just
 * submitted still gets its position. When the half second is over, the list's head is read first:
 * if the same job is at the front and as many wait, nothing was taken or added and the last read
 * answers on (reading up to 10000 ids and building their map every half second cost status reads
 * of queued jobs about a quarter of their CPU, much of it in garbage collection). Approximate (the
 * list moves on while it is read; a job removed behind one added leaves the head as it was) and
 * best effort: without Redis, or past 250 ms, positions are unknown.
 */
export class QueuePositions {
  private snapshot?: Snapshot;
  private refreshing?: Promise<Snapshot | undefined>;

  constructor(
    private readonly list: WaitingList,
    private readonly onError: (error: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** The positions of those of `jobs` that are found waiting; the others are missing. */
  async of(jobs: readonly QueuedJob[]): Promise<Map<string, number>> {
    const positions = new Map<string, number>();
    if (jobs.length === 0) return positions;
    const snapshot = await this.fresh();
    if (!snapshot) return positions;
    const newer: string[] = [];
    for (const job of jobs) {
      const position = snapshot.positions.get(job.id);
      if (position !== undefined) positions.set(job.id, position);
      else if (job.createdAt.getTime() > snapshot.takenAt - CLOCK_SKEW_MS) newer.push(job.id);
    }
    if (newer.length === 0) return positions;
    const found = await this.bounded(this.list.find(newer, POSITIONS_KNOWN));
    for (const [id, position] of found ?? []) positions.set(id, position);
    return positions;
  }

  private fresh(): Promise<Snapshot | undefined> {
    if (this.snapshot && this.now() - this.snapshot.takenAt < SNAPSHOT_TTL_MS) return Promise.resolve(this.snapshot);
    this.refreshing ??= this.take().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async take(): Promise<Snapshot | undefined> {
    const takenAt = this.now();
    const last = this.snapshot;
    if (last) {
      const head = await this.bounded(this.list.head());
      if (!head) return undefined;
      if (head.front === last.head.front && head.length === last.head.length) {
        this.snapshot = { ...last, takenAt };
        return this.snapshot;
      }
    }
    const read = await this.bounded(this.list.front(POSITIONS_KNOWN));
    if (!read) return undefined;
    const { ids, length } = read;
    this.snapshot = {
      takenAt,
      head: { front: ids.at(-1), length },
      positions: new Map(ids.map((id, index) => [id, ids.length - 1 - index])),
    };
    return this.snapshot;
  }

  private async bounded<T>(reading: Promise<T>): Promise<T | undefined> {
    const guarded = reading.catch((error: unknown) => {
      this.onError(error);
      return undefined;
    });
    return (await settlesWithin(guarded, READ_TIMEOUT_MS)) ? await guarded : undefined;
  }
}
