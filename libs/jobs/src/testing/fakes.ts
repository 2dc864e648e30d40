// In-memory fakes of the ports the job domain uses, shared by its unit specs (not mutated by Stryker).
import { Readable } from 'node:stream';
import {
  type JobChange,
  type JobEntity,
  type JobErrorRecord,
  type JobGuard,
  type JobListQuery,
  type JobStatus,
  jobFromInsert,
  type NewJob,
  type ProgressChange,
  type WebhookDeliveryEntity,
} from '@app/database';
import type { GeneratedMedia } from '@app/generator';
import type { QueuedJob } from '@app/queue';
import { type ChunkMeter, type MediaObject, type MediaServing, MediaStorage, type StoredMedia } from '@app/storage';
import { Logger } from '@nestjs/common';

/** A fake handed to a constructor that wants the real class: only the methods a spec uses exist. */
export function as<T>(fake: unknown): T {
  return fake as T;
}

export const databaseDown = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

export const T0 = new Date('2026-11-30T10:00:00.000Z');

/** A job row with every column set; `overrides` wins. */
export function jobRow(overrides: Partial<JobEntity> = {}): JobEntity {
  const submitted = jobFromInsert(
    {
      owner: 'alice',
      prompt: 'a cat',
      model: 'mock',
      input: {},
      maxAttempts: 3,
      idempotencyKey: null,
      requestFingerprint: null,
      webhook: null,
    },
    { id: 'job-1', created_at: T0, updated_at: T0 },
  );
  return { ...submitted, ...overrides };
}

/**
 * The jobs table in memory, with the repository's guarded updates. `failNextWrite` makes the next
 * write throw as if PostgreSQL went away; `applied` makes it apply first (a commit whose answer was lost).
 */
export class FakeJobsRepository {
  readonly rows = new Map<string, JobEntity>();
  failNextWrite?: { applied: boolean };
  readonly calls: string[] = [];
  readsById = 0;
  private now = T0.getTime();

  /** Adds a row (id `job-1` unless given) and returns it. */
  add(overrides: Partial<JobEntity> = {}): JobEntity {
    const row = jobRow(overrides);
    this.rows.set(row.id, row);
    return row;
  }

  /** The row as stored. */
  row(id = 'job-1'): JobEntity {
    const row = this.rows.get(id);
    if (!row) throw new Error(`no row ${id}`);
    return row;
  }

  async insertOnce(job: NewJob): Promise<{ job: JobEntity; created: boolean }> {
    this.calls.push('insertOnce');
    const existing = [...this.rows.values()].find(
      (row) => job.idempotencyKey !== null && row.owner === job.owner && row.idempotencyKey === job.idempotencyKey,
    );
    if (existing) return { job: copy(existing), created: false };
    const row = this.add({ ...job, id: `job-${this.rows.size + 1}`, createdAt: new Date() });
    return { job: copy(row), created: true };
  }

  async releaseIdempotencyKey(id: string, key: string): Promise<void> {
    this.calls.push('releaseIdempotencyKey');
    const row = this.rows.get(id);
    if (row?.idempotencyKey === key) row.idempotencyKey = null;
  }

  async findById(id: string): Promise<JobEntity | null> {
    this.readsById += 1;
    const row = this.rows.get(id);
    return row ? copy(row) : null;
  }

  async findOwned(id: string, owner: string): Promise<JobEntity | null> {
    const row = this.rows.get(id);
    return row?.owner === owner ? copy(row) : null;
  }

  readonly listQueries: JobListQuery[] = [];

  async list(query: JobListQuery): Promise<JobEntity[]> {
    this.listQueries.push(query);
    return [...this.rows.values()]
      .filter((row) => row.owner === query.owner)
      .slice(0, query.limit)
      .map(copy);
  }

  async beginAttempt(id: string, from: readonly JobStatus[]): Promise<JobEntity | null> {
    const row = this.rows.get(id);
    if (!row || !from.includes(row.status) || row.attempts >= row.maxAttempts || row.outputs.length > 0) return null;
    await this.write(() => {
      row.status = 'processing';
      row.attempts += 1;
      row.startedAt ??= new Date(this.tick());
      row.attemptHistory = [
        ...row.attemptHistory,
        { attempt: row.attempts, startedAt: 'start', endedAt: null, error: null },
      ];
      row.progress = null;
    });
    return copy(row);
  }

  async recordProgress(id: string, attempt: number, progress: ProgressChange) {
    const row = this.running(id, attempt);
    if (!row) return null;
    row.progress = { ...progress, updatedAt: 'now' };
    return row.progress;
  }

  /** The row while attempt `attempt` runs: the guard of every history and progress write. */
  private running(id: string, attempt: number): JobEntity | undefined {
    const row = this.rows.get(id);
    return row?.status === 'processing' && row.attempts === attempt ? row : undefined;
  }

  async closeAttempt(id: string, attempt: number, error: JobErrorRecord | null): Promise<void> {
    const row = this.rows.get(id);
    if (!row) return;
    this.endHistoryEntry(row, attempt, error);
    if (row.attempts === attempt) row.progress = null;
  }

  private endHistoryEntry(row: JobEntity, attempt: number, error: JobErrorRecord | null): void {
    row.attemptHistory = row.attemptHistory.map((entry) =>
      entry.attempt === attempt && entry.endedAt === null ? { ...entry, endedAt: 'end', error } : entry,
    );
  }

  async findWithMediaEndedBefore(cutoff: Date, limit: number): Promise<JobEntity[]> {
    return [...this.rows.values()]
      .filter((row) => row.completedAt && row.completedAt < cutoff && !row.outputsExpiredAt)
      .slice(0, limit)
      .map(copy);
  }

  async expireOutputs(id: string): Promise<void> {
    const row = this.row(id);
    row.outputs = [];
    row.outputsExpiredAt = new Date(this.tick());
  }

  async deleteEndedBefore(cutoff: Date): Promise<number> {
    const ended = [...this.rows.values()].filter((row) => row.completedAt && row.completedAt < cutoff);
    for (const row of ended) this.rows.delete(row.id);
    return ended.length;
  }

  readonly untouchedQueries: { status: JobStatus; before: Date; limit: number }[] = [];

  async findUntouchedSince(status: JobStatus, before: Date, limit: number): Promise<JobEntity[]> {
    this.untouchedQueries.push({ status, before, limit });
    return [...this.rows.values()]
      .filter((row) => row.status === status && row.updatedAt < before)
      .slice(0, limit)
      .map(copy);
  }

  async updateIf(id: string, guard: JobGuard, change: JobChange): Promise<boolean> {
    return (await this.changeIf(id, guard, change)) !== null;
  }

  async changeIf(id: string, guard: JobGuard, change: JobChange): Promise<JobEntity | null> {
    const row = this.rows.get(id);
    if (!row || !guard.from.includes(row.status)) return null;
    if (guard.attempt !== undefined && row.attempts !== guard.attempt) return null;
    await this.write(() => {
      row.status = change.status;
      if (change.attempts !== undefined) row.attempts = change.attempts;
      if (change.error !== undefined) row.error = change.error;
      if (change.outputs !== undefined) row.outputs = change.outputs;
      if (change.outputShape !== undefined) row.outputShape = change.outputShape;
      if (change.predictionId !== undefined) row.predictionId = change.predictionId;
      if (change.markStarted) row.startedAt ??= new Date(this.tick());
      if (change.markCompleted) row.completedAt = new Date(this.tick());
      if (change.closeAttempt && guard.attempt !== undefined) {
        this.endHistoryEntry(row, guard.attempt, change.closeAttempt.error);
        row.progress = null;
      }
      row.updatedAt = new Date(this.tick());
    });
    return copy(row);
  }

  private tick(): number {
    this.now += 1000;
    return this.now;
  }

  private async write(apply: () => void): Promise<void> {
    const failure = this.failNextWrite;
    this.failNextWrite = undefined;
    if (failure?.applied) apply();
    if (failure) throw databaseDown();
    apply();
  }
}

function copy(row: JobEntity): JobEntity {
  return { ...row, outputs: [...row.outputs] };
}

/** Objects in a map; `failSave` makes saves of matching keys fail. */
export class MemoryStorage extends MediaStorage {
  readonly objects = new Map<string, Buffer>();
  readonly removed: string[] = [];
  failSave?: (key: string) => boolean;

  async save(key: string, content: Readable, contentType: string, meter?: ChunkMeter): Promise<StoredMedia> {
    const chunks: Buffer[] = [];
    for await (const chunk of content) {
      meter?.(chunk.length);
      chunks.push(Buffer.from(chunk));
    }
    if (this.failSave?.(key)) throw new Error(`disk full at ${key}`);
    const body = Buffer.concat(chunks);
    this.objects.set(key, body);
    return { key, contentType, bytes: body.length, sha256: `sha-of-${key}` };
  }

  async open(key: string): Promise<MediaObject | null> {
    const body = this.objects.get(key);
    return body ? { stream: Readable.from([body]), bytes: body.length } : null;
  }

  async move(from: string, to: string): Promise<boolean> {
    const body = this.objects.get(from);
    if (!body) return false;
    this.objects.set(to, body);
    this.objects.delete(from);
    return true;
  }

  async removeAll(prefix: string): Promise<void> {
    this.removed.push(prefix);
    for (const key of this.objects.keys()) if (key.startsWith(`${prefix}/`)) this.objects.delete(key);
  }

  async removeStartingWith(keyPrefix: string): Promise<void> {
    this.removed.push(keyPrefix);
    const folder = keyPrefix.slice(0, keyPrefix.lastIndexOf('/') + 1);
    for (const key of this.objects.keys()) {
      if (key.startsWith(keyPrefix) && !key.slice(folder.length).includes('/')) this.objects.delete(key);
    }
  }

  async directUrl(key: string, serving: MediaServing): Promise<string | null> {
    return `https://bucket.example/${key}?type=${serving.contentType}`;
  }

  put(key: string, text = 'x'): void {
    this.objects.set(key, Buffer.from(text));
  }

  keys(): string[] {
    return [...this.objects.keys()].sort();
  }
}

/** A generated output of `bytes` bytes. */
export const png = (bytes = 10): GeneratedMedia => ({
  contentType: 'image/png',
  extension: 'png',
  content: Readable.from([Buffer.alloc(bytes, 1)]),
});

/** The generation queue: which job ids BullMQ holds, and what was asked of it. */
export class FakeGenerationQueue {
  readonly live = new Set<string>();
  readonly enqueued: string[] = [];
  readonly requeued: string[] = [];
  readonly discarded: string[] = [];
  /** Replaces what `enqueue` does (say, hang or fail like Redis). */
  enqueueWith?: (jobId: string) => Promise<void>;

  async enqueue(jobId: string): Promise<void> {
    if (this.enqueueWith) return this.enqueueWith(jobId);
    this.enqueued.push(jobId);
  }

  /** Queue positions by job id; `queuePositions` answers from it and records each ask. */
  readonly positions = new Map<string, number>();
  readonly positionAsks: string[][] = [];

  async queuePositions(jobs: readonly QueuedJob[]): Promise<Map<string, number>> {
    const jobIds = jobs.map((job) => job.id);
    this.positionAsks.push(jobIds);
    const found = new Map<string, number>();
    for (const id of jobIds) {
      const position = this.positions.get(id);
      if (position !== undefined) found.set(id, position);
    }
    return found;
  }

  async isLive(jobId: string): Promise<boolean> {
    return this.live.has(jobId);
  }

  async requeue(jobId: string): Promise<void> {
    this.requeued.push(jobId);
  }

  async discardWaiting(jobId: string): Promise<void> {
    this.discarded.push(jobId);
  }
}

/** Finish and cancel signals, delivered by hand. */
export class FakeSignals {
  readonly announced: string[] = [];
  readonly cancelRequested: string[] = [];
  readonly stops: string[] = [];
  private readonly waiters = new Map<string, Set<() => void>>();

  async announceFinished(jobId: string): Promise<void> {
    this.announced.push(jobId);
  }

  readonly announcedChanged: string[] = [];

  async announceChanged(jobId: string): Promise<void> {
    this.announcedChanged.push(jobId);
  }

  async requestCancel(jobId: string): Promise<void> {
    this.cancelRequested.push(jobId);
  }

  async nextFinish(id: string): Promise<{ done: Promise<void>; stop(): void }> {
    let resolve!: () => void;
    const done = new Promise<void>((settle) => {
      resolve = settle;
    });
    const stop = () => {
      this.stops.push(id);
      resolve();
    };
    const set = this.waiters.get(id) ?? new Set();
    set.add(resolve);
    this.waiters.set(id, set);
    return { done, stop };
  }

  private readonly watchers = new Map<string, Set<() => void>>();

  async watch(jobId: string, listener: () => void): Promise<() => void> {
    const set = this.watchers.get(jobId) ?? new Set();
    set.add(listener);
    this.watchers.set(jobId, set);
    return () => set.delete(listener);
  }

  /** Tells the job's watchers it changed. */
  change(id: string): void {
    for (const listener of this.watchers.get(id) ?? []) listener();
  }

  watching(id: string): number {
    return this.watchers.get(id)?.size ?? 0;
  }

  announce(id: string): void {
    for (const resolve of this.waiters.get(id) ?? []) resolve();
    this.waiters.delete(id);
  }

  subscribed(id: string): number {
    return this.waiters.get(id)?.size ?? 0;
  }
}

/** What JobEvents was told: starts and ends in order (`log`, with the rows `finished` got), changes apart. */
export class FakeEvents {
  readonly log: string[] = [];
  readonly finishedRows: JobEntity[] = [];
  readonly changes: string[] = [];

  async started(job: JobEntity): Promise<void> {
    this.log.push(`started ${job.id}`);
  }

  async finished(job: JobEntity): Promise<void> {
    this.log.push(`finished ${job.id}`);
    this.finishedRows.push(copy(job));
  }

  async changed(jobId: string): Promise<void> {
    this.changes.push(jobId);
  }
}

/** The webhook dispatcher: refuses URLs on a list, records what was scheduled. */
export class FakeWebhooks {
  readonly refused = new Map<string, string>();
  readonly scheduled: { jobId: string; event: string; payload: Record<string, unknown> }[] = [];
  staleRequeued = 0;
  readonly staleBefore: Date[] = [];
  scheduleFails = false;

  refuse(url: string): string | null {
    return this.refused.get(url) ?? null;
  }

  async requeueStale(before: Date): Promise<number> {
    this.staleBefore.push(before);
    return this.staleRequeued;
  }

  async schedule(job: { id: string }, event: string, payload: () => Record<string, unknown>): Promise<void> {
    if (this.scheduleFails) throw new Error('Redis down');
    this.scheduled.push({ jobId: job.id, event, payload: payload() });
  }
}

/** A job's webhook deliveries. */
export class FakeDeliveries {
  readonly byJob = new Map<string, WebhookDeliveryEntity[]>();

  async listForJob(jobId: string): Promise<WebhookDeliveryEntity[]> {
    return this.byJob.get(jobId) ?? [];
  }
}

/** Lets pending callbacks run until `condition` holds; fails after 1000 turns of the event loop. */
export async function settle(condition: () => boolean): Promise<void> {
  for (let turn = 0; !condition(); turn += 1) {
    if (turn === 1000) throw new Error('settle: the condition never held');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export interface CapturedLog {
  level: 'log' | 'warn' | 'error';
  fields: unknown;
  message: unknown;
}

/** Captures (and silences) what Nest loggers write until the spies are restored (`jest.restoreAllMocks`). */
export function captureLogs(): CapturedLog[] {
  const logs: CapturedLog[] = [];
  for (const level of ['log', 'warn', 'error'] as const) {
    jest.spyOn(Logger.prototype, level).mockImplementation((...[fields, message]: unknown[]) => {
      logs.push({ level, fields, message });
    });
  }
  return logs;
}
