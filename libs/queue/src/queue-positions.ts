import { settlesWithin } from './settles-within';

/** A queued job as its queue position needs it: its id, and when it was stored (by PostgreSQL's clock). */
export interface QueuedJob {
  readonly id: string;
  readonly createdAt: Date;
}

/** BullMQ's waiting list, read from its front: the end the workers take from. */
export interface WaitingList {
  /** The ids of the `count` jobs nearest the front, the front last. */
  front(count: number): Promise<string[]>;
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
  positions: Map<string, number>;
}

/**
 * How many jobs wait ahead of queued ones. Asking Redis on every status read of a queued job is a
 * round trip per read; instead one read of the list's front answers every question of this process
 * for half a second. A job stored after that read is looked up on its own, so a job that was just
 * submitted still gets its position. Approximate (the list moves on while it is read) and best
 * effort: without Redis, or past 250 ms, positions are unknown.
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
    const ids = await this.bounded(this.list.front(POSITIONS_KNOWN));
    if (!ids) return undefined;
    this.snapshot = { takenAt, positions: new Map(ids.map((id, index) => [id, ids.length - 1 - index])) };
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
