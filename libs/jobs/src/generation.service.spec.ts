import { Readable } from 'node:stream';
import type { GeneratorConfig } from '@app/config';
import type {
  JobChange,
  JobEntity,
  JobErrorRecord,
  JobGuard,
  JobStatus,
  JobsRepository,
  ProgressChange,
} from '@app/database';
import { type GeneratedMedia, GenerationError, type GenerationRequest, type MediaGenerator } from '@app/generator';
import { type MediaObject, MediaStorage, type StoredMedia } from '@app/storage';
import { GenerationService } from './generation.service';
import type { JobEvents } from './job-events.service';
import { JobFiles } from './job-files.service';
import { AttemptFailedError, InfrastructureUnavailableError } from './jobs.errors';

const databaseDown = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/** The repository's guarded updates, on one row in memory; `failNext` makes the next writes throw. */
class FakeJobs {
  row: JobEntity;
  /** Throws on the next write; `applied` makes it apply first (a commit whose answer was lost). */
  failNextWrite?: { applied: boolean };

  constructor(overrides: Partial<JobEntity> = {}) {
    this.row = {
      id: 'job-1',
      status: 'queued',
      attempts: 0,
      maxAttempts: 3,
      outputs: [],
      error: null,
      predictionId: null,
      model: 'mock',
      prompt: 'a cat',
      input: {},
      progress: null,
      attemptHistory: [],
      ...overrides,
    } as JobEntity;
  }

  async openAttempt(_id: string, attempt: number): Promise<boolean> {
    const { row } = this;
    if (row.status !== 'processing' || row.attempts !== attempt) return false;
    row.attemptHistory = [...row.attemptHistory, { attempt, startedAt: 'start', endedAt: null, error: null }];
    row.progress = null;
    return true;
  }

  async recordProgress(_id: string, attempt: number, progress: ProgressChange) {
    const { row } = this;
    if (row.status !== 'processing' || row.attempts !== attempt) return null;
    row.progress = { ...progress, updatedAt: 'now' };
    return row.progress;
  }

  async closeAttempt(_id: string, attempt: number, error: JobErrorRecord | null): Promise<void> {
    const { row } = this;
    row.attemptHistory = row.attemptHistory.map((entry) =>
      entry.attempt === attempt && entry.endedAt === null ? { ...entry, endedAt: 'end', error } : entry,
    );
    if (row.attempts === attempt) row.progress = null;
  }

  async beginAttempt(_id: string, from: readonly JobStatus[]): Promise<JobEntity | null> {
    const { row } = this;
    if (!from.includes(row.status) || row.attempts >= row.maxAttempts || row.outputs.length > 0) return null;
    await this.write(() => {
      row.status = 'processing';
      row.attempts += 1;
    });
    return this.findById();
  }

  async findById(): Promise<JobEntity> {
    return { ...this.row, outputs: [...this.row.outputs] };
  }

  async changeIf(_id: string, guard: JobGuard, change: JobChange): Promise<JobEntity | null> {
    const { row } = this;
    if (!guard.from.includes(row.status) || (guard.attempt !== undefined && row.attempts !== guard.attempt)) {
      return null;
    }
    await this.write(() => {
      row.status = change.status;
      if (change.attempts !== undefined) row.attempts = change.attempts;
      if (change.error !== undefined) row.error = change.error;
      if (change.outputs !== undefined) row.outputs = change.outputs;
    });
    return this.findById();
  }

  private async write(apply: () => void): Promise<void> {
    const failure = this.failNextWrite;
    this.failNextWrite = undefined;
    if (failure?.applied) apply();
    if (failure) throw databaseDown();
    apply();
  }
}

/** Objects in a map; enough of MediaStorage for the service. */
class MemoryStorage extends MediaStorage {
  readonly objects = new Map<string, Buffer>();

  async save(key: string, content: Readable, contentType: string): Promise<StoredMedia> {
    const chunks: Buffer[] = [];
    for await (const chunk of content) chunks.push(Buffer.from(chunk));
    const body = Buffer.concat(chunks);
    this.objects.set(key, body);
    return { key, contentType, bytes: body.length, sha256: 'sha' };
  }

  async open(): Promise<MediaObject | null> {
    return null;
  }

  async move(from: string, to: string): Promise<boolean> {
    const body = this.objects.get(from);
    if (!body) return false;
    this.objects.set(to, body);
    this.objects.delete(from);
    return true;
  }

  async removeAll(prefix: string): Promise<void> {
    for (const key of this.objects.keys()) if (key.startsWith(`${prefix}/`)) this.objects.delete(key);
  }

  async directUrl(): Promise<null> {
    return null;
  }

  keys(): string[] {
    return [...this.objects.keys()].sort();
  }
}

const png = (bytes = 10): GeneratedMedia => ({
  contentType: 'image/png',
  extension: 'png',
  content: Readable.from([Buffer.alloc(bytes, 1)]),
});

describe('GenerationService', () => {
  let jobs: FakeJobs;
  let storage: MemoryStorage;
  let generate: jest.Mock<Promise<GeneratedMedia[]>, [GenerationRequest]>;
  let finished: jest.Mock;
  let changed: jest.Mock;
  let service: GenerationService;

  function build(overrides: Partial<JobEntity> = {}, limits = { maxCount: 4, maxTotalBytes: 100 }) {
    jobs = new FakeJobs(overrides);
    storage = new MemoryStorage();
    generate = jest.fn<Promise<GeneratedMedia[]>, [GenerationRequest]>(async () => [png(), png()]);
    finished = jest.fn();
    changed = jest.fn();
    service = new GenerationService(
      jobs as unknown as JobsRepository,
      { generate } as unknown as MediaGenerator,
      new JobFiles(storage),
      { started: jest.fn(), finished, changed } as unknown as JobEvents,
      { jobOutputs: limits } as GeneratorConfig,
    );
  }

  beforeEach(() => build());

  it('publishes the outputs of a successful attempt, and nothing else', async () => {
    await service.runAttempt('job-1');

    expect(jobs.row).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(jobs.row.outputs.map((output) => output.file)).toEqual(['0.png', '1.png']);
    expect(storage.keys()).toEqual(['job-1/0.png', 'job-1/1.png']);
    expect(finished).toHaveBeenCalledWith(expect.objectContaining({ id: 'job-1' }));
  });

  it('queues a retryable failure again while attempts are left, removing what the attempt staged', async () => {
    generate.mockImplementation(async () => {
      await storage.save('job-1/staging/attempt-1/0.png', Readable.from([Buffer.from('partial')]), 'image/png');
      throw new GenerationError('upstream_unavailable', 'down', { retryable: true });
    });

    const failure = await service.runAttempt('job-1').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(AttemptFailedError);
    expect(failure).toMatchObject({ final: false, failure: { code: 'upstream_unavailable', retryable: true } });
    expect(jobs.row).toMatchObject({ status: 'queued', attempts: 1 });
    expect(storage.keys()).toEqual([]);
  });

  it.each([
    ['a retryable error on the last attempt', { attempts: 2 }, true],
    ['a permanent error on the first attempt', {}, false],
  ])('fails the job for %s', async (_case, overrides, retryable) => {
    build(overrides);
    generate.mockRejectedValue(new GenerationError('prediction_failed', 'no', { retryable }));

    const failure = await service.runAttempt('job-1').catch((error: unknown) => error);

    expect(failure).toMatchObject({ final: true });
    expect(jobs.row.status).toBe('failed');
    expect(finished).toHaveBeenCalledWith(expect.objectContaining({ id: 'job-1' }));
  });

  it('uses no attempt when it cannot begin one (PostgreSQL down)', async () => {
    jobs.failNextWrite = { applied: false };

    const failure = await service.runAttempt('job-1').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(InfrastructureUnavailableError);
    expect(failure).toMatchObject({ unrecordedAttempt: undefined, code: 'infrastructure_unavailable' });
    expect(jobs.row).toMatchObject({ status: 'queued', attempts: 0 });
  });

  it('gives back an attempt that could not claim the job, and the retry keeps only its own files', async () => {
    generate.mockImplementationOnce(async () => {
      jobs.failNextWrite = { applied: false };
      return [png(), png()];
    });
    const failure = await service.runAttempt('job-1').catch((error: unknown) => error);
    expect(failure).toMatchObject({ unrecordedAttempt: 1 });
    expect(jobs.row).toMatchObject({ status: 'processing', attempts: 1, outputs: [] });

    generate.mockImplementationOnce(async () => [png(7)]);
    await service.runAttempt('job-1', { unrecordedAttempt: 1 });

    expect(jobs.row).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(storage.keys()).toEqual(['job-1/0.png']);
    expect(storage.objects.get('job-1/0.png')?.length).toBe(7);
  });

  it('keeps a claim the database applied but could not confirm, and finishes publishing it', async () => {
    generate.mockImplementationOnce(async () => {
      jobs.failNextWrite = { applied: true };
      return [png()];
    });
    await service.runAttempt('job-1').catch(() => undefined);

    await service.runAttempt('job-1', { unrecordedAttempt: 1 });

    expect(jobs.row).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(generate).toHaveBeenCalledTimes(1);
    expect(storage.keys()).toEqual(['job-1/0.png']);
  });

  it('writes no file when the job moved on to a newer attempt while it generated', async () => {
    generate.mockImplementationOnce(async () => {
      jobs.row.attempts += 1;
      return [png()];
    });

    await service.runAttempt('job-1');

    expect(jobs.row).toMatchObject({ status: 'processing', attempts: 2, outputs: [] });
    expect(storage.keys()).toEqual([]);
  });

  it('removes every file when the job was canceled while it generated', async () => {
    generate.mockImplementationOnce(async () => {
      jobs.row.status = 'canceled';
      return [png()];
    });

    await service.runAttempt('job-1');

    expect(storage.keys()).toEqual([]);
  });

  it.each([
    ['too_many_outputs', { maxCount: 1, maxTotalBytes: 100 }],
    ['output_too_large', { maxCount: 4, maxTotalBytes: 15 }],
  ])('fails at once, not retried, with %s beyond the per-job limits, keeping no file', async (code, limits) => {
    build({}, limits);

    const failure = await service.runAttempt('job-1').catch((error: unknown) => error);

    expect(failure).toMatchObject({ final: true, failure: { code, retryable: false } });
    expect(jobs.row).toMatchObject({ status: 'failed', attempts: 1, error: { code, retryable: false } });
    expect(storage.keys()).toEqual([]);
  });

  it('fails a job whose outage outlasted its ceiling with infrastructure_unavailable', async () => {
    await service.failUnavailable('job-1');

    expect(jobs.row).toMatchObject({ status: 'failed', error: { code: 'infrastructure_unavailable' } });
  });

  describe('attempt history and progress', () => {
    const entry = (attempt: number, error: Partial<JobErrorRecord> | null) => ({
      attempt,
      startedAt: 'start',
      endedAt: 'end',
      error: error && expect.objectContaining(error),
    });

    it('records each attempt with the error it ended with; the failed one stays after a retry succeeds', async () => {
      generate.mockRejectedValueOnce(new GenerationError('upstream_unavailable', 'down', { retryable: true }));
      await service.runAttempt('job-1').catch(() => undefined);
      expect(changed).toHaveBeenCalledWith('job-1');
      await service.runAttempt('job-1');

      expect(jobs.row).toMatchObject({ status: 'succeeded', error: null, progress: null });
      expect(jobs.row.attemptHistory).toEqual([
        entry(1, { code: 'upstream_unavailable', message: 'down', retryable: true }),
        entry(2, null),
      ]);
    });

    it('notes an attempt handed back at shutdown, which the next attempt runs again under its number', async () => {
      const controller = new AbortController();
      generate.mockImplementationOnce(async () => {
        controller.abort('worker-shutdown');
        throw new Error('aborted');
      });
      await service.runAttempt('job-1', { signal: controller.signal }).catch(() => undefined);
      await service.runAttempt('job-1');

      expect(jobs.row.attemptHistory).toEqual([entry(1, { code: 'attempt_handed_back' }), entry(1, null)]);
    });

    it('writes the progress the generator reports while the attempt runs, and tells watchers', async () => {
      let seen: JobEntity['progress'] = null;
      generate.mockImplementationOnce(async (request) => {
        request.onProgress?.({ percent: 30, message: 'step 6/20' });
        await new Promise((resolve) => setImmediate(resolve));
        seen = jobs.row.progress;
        return [png()];
      });
      await service.runAttempt('job-1');

      expect(seen).toEqual({ percent: 30, message: 'step 6/20', updatedAt: 'now' });
      expect(changed).toHaveBeenCalledWith('job-1');
      expect(jobs.row.progress).toBeNull();
    });

    it('never fails an attempt for a history or progress write that failed', async () => {
      const broken = async () => {
        throw databaseDown();
      };
      Object.assign(jobs, { openAttempt: broken, recordProgress: broken, closeAttempt: broken });
      generate.mockImplementationOnce(async (request) => {
        request.onProgress?.({ percent: 1, message: null });
        return [png()];
      });

      await service.runAttempt('job-1');

      expect(jobs.row.status).toBe('succeeded');
    });
  });
});
