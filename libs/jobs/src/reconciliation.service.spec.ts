import type { GeneratorConfig, QueueConfig } from '@app/config';
import type { JobEntity, JobsRepository } from '@app/database';
import type { MediaGenerator } from '@app/generator';
import type { GenerationQueueProducer } from '@app/queue';
import type { WebhookDispatcher } from '@app/webhooks';
import { ATTEMPT_LOST } from './attempt-policy';
import { GenerationService } from './generation.service';
import type { JobEvents } from './job-events.service';
import { JobFiles } from './job-files.service';
import { ReconciliationService } from './reconciliation.service';
import {
  as,
  captureLogs,
  databaseDown,
  FakeEvents,
  FakeGenerationQueue,
  FakeJobsRepository,
  FakeWebhooks,
  MemoryStorage,
  T0,
} from './testing/fakes';

const QUEUED_AGE_MS = 60_000;
const PROCESSING_AGE_MS = 600_000;
const NOW = T0.getTime() + 3_600_000;
const OUTPUT = { file: '0.png', contentType: 'image/png', bytes: 10, sha256: 'abc' };
const openEntry = (attempt: number) => ({ attempt, startedAt: 'start', endedAt: null, error: null });

describe('ReconciliationService.sweep', () => {
  let jobs: FakeJobsRepository;
  let queue: FakeGenerationQueue;
  let events: FakeEvents;
  let storage: MemoryStorage;
  let webhooks: FakeWebhooks;
  let generation: GenerationService;
  let sweeper: ReconciliationService;

  beforeEach(() => {
    jobs = new FakeJobsRepository();
    queue = new FakeGenerationQueue();
    events = new FakeEvents();
    storage = new MemoryStorage();
    webhooks = new FakeWebhooks();
    generation = new GenerationService(
      as<JobsRepository>(jobs),
      as<MediaGenerator>({}),
      new JobFiles(storage),
      as<JobEvents>(events),
      as<GeneratorConfig>({}),
    );
    sweeper = new ReconciliationService(
      as<JobsRepository>(jobs),
      as<GenerationQueueProducer>(queue),
      generation,
      as<WebhookDispatcher>(webhooks),
      as<QueueConfig>({ sweep: { queuedAgeMs: QUEUED_AGE_MS, processingAgeMs: PROCESSING_AGE_MS } }),
    );
  });

  const lost = (overrides: Partial<JobEntity>) => jobs.add(overrides);

  it('looks for queued and processing rows untouched for longer than their age limits, 500 at a time', async () => {
    await sweeper.sweep(NOW);

    expect(jobs.untouchedQueries).toEqual([
      { status: 'queued', before: new Date(NOW - QUEUED_AGE_MS), limit: 500 },
      { status: 'processing', before: new Date(NOW - PROCESSING_AGE_MS), limit: 500 },
    ]);
  });

  it('sweeps as of now by default', async () => {
    const before = Date.now();
    await sweeper.sweep();

    const asked = jobs.untouchedQueries[0].before.getTime() + QUEUED_AGE_MS;
    expect(asked).toBeGreaterThanOrEqual(before);
    expect(asked).toBeLessThanOrEqual(Date.now());
  });

  it('queues again a queued job the queue lost (Redis lost its data, or the enqueue failed)', async () => {
    lost({ id: 'job-1', status: 'queued' });

    const report = await sweeper.sweep(NOW);

    expect(queue.requeued).toEqual(['job-1']);
    expect(report).toEqual({ checked: 1, requeued: 1, failed: 0, published: 0, deliveriesRequeued: 0 });
    expect(jobs.row().status).toBe('queued');
  });

  it('leaves alone a job the queue still holds', async () => {
    lost({ id: 'job-1', status: 'queued' });
    queue.live.add('job-1');

    const report = await sweeper.sweep(NOW);

    expect(queue.requeued).toEqual([]);
    expect(report).toMatchObject({ checked: 1, requeued: 0 });
  });

  it('leaves alone a job that changed between the two reads (it finished, or a new attempt began)', async () => {
    lost({ id: 'job-1', status: 'processing', attempts: 1 });
    lost({ id: 'job-2', status: 'processing', attempts: 1 });
    lost({ id: 'job-3', status: 'queued', attempts: 1 });
    queue.isLive = async (id) => {
      if (id === 'job-1') jobs.row('job-1').status = 'succeeded';
      if (id === 'job-2') jobs.row('job-2').attempts = 2;
      if (id === 'job-3') jobs.rows.delete('job-3');
      return false;
    };

    const report = await sweeper.sweep(NOW);

    expect(report).toMatchObject({ checked: 3, requeued: 0, failed: 0 });
    expect(queue.requeued).toEqual([]);
    expect(jobs.row('job-1').status).toBe('succeeded');
    expect(jobs.row('job-2').status).toBe('processing');
  });

  it('ends a lost processing attempt and queues the job again while attempts are left', async () => {
    lost({ id: 'job-1', status: 'processing', attempts: 2, maxAttempts: 3, attemptHistory: [openEntry(2)] });

    const report = await sweeper.sweep(NOW);

    expect(jobs.row()).toMatchObject({ status: 'queued', attempts: 2, error: null, completedAt: null });
    expect(jobs.row().attemptHistory).toEqual([{ ...openEntry(2), endedAt: 'end', error: { ...ATTEMPT_LOST } }]);
    expect(queue.requeued).toEqual(['job-1']);
    expect(report).toMatchObject({ requeued: 1, failed: 0 });
    expect(events.log).toEqual([]);
  });

  it("queues the lost attempt's job again even when its history entry cannot be closed", async () => {
    const logs = captureLogs();
    lost({ id: 'job-1', status: 'processing', attempts: 1, maxAttempts: 3, attemptHistory: [openEntry(1)] });
    jobs.closeAttempt = async () => {
      throw databaseDown();
    };

    const report = await sweeper.sweep(NOW);

    expect(jobs.row().status).toBe('queued');
    expect(queue.requeued).toEqual(['job-1']);
    expect(report).toMatchObject({ requeued: 1 });
    expect(logs[0]).toEqual({
      level: 'warn',
      fields: { jobId: 'job-1', err: databaseDown() },
      message: 'Could not close the lost attempt in its history',
    });
    jest.restoreAllMocks();
  });

  it('neither queues nor closes anything when the lost attempt could not be given back (the row moved on)', async () => {
    lost({ id: 'job-1', status: 'processing', attempts: 1, maxAttempts: 3, attemptHistory: [openEntry(1)] });
    jobs.changeIf = async () => null;

    const report = await sweeper.sweep(NOW);

    expect(report).toMatchObject({ requeued: 0, failed: 0 });
    expect(queue.requeued).toEqual([]);
    expect(jobs.row().attemptHistory).toEqual([openEntry(1)]);
  });

  it('fails a job whose last attempt was lost through GenerationService.failExhausted (attempts_exhausted, files removed, end announced)', async () => {
    lost({ id: 'job-1', status: 'processing', attempts: 3, maxAttempts: 3 });
    storage.put('job-1/staging-3-0.png');

    const report = await sweeper.sweep(NOW);

    expect(jobs.row()).toMatchObject({
      status: 'failed',
      error: {
        code: 'attempts_exhausted',
        message: 'The last attempt was lost and no attempt is left',
        retryable: true,
      },
    });
    expect(jobs.row().completedAt).not.toBeNull();
    expect(storage.keys()).toEqual([]);
    expect(events.log).toEqual(['finished job-1']);
    expect(events.finishedRows[0]).toMatchObject({ id: 'job-1', status: 'failed' });
    expect(queue.requeued).toEqual([]);
    expect(report).toMatchObject({ failed: 1, requeued: 0 });
  });

  it('asks GenerationService.failExhausted to end the last lost attempt, with the row it read', async () => {
    lost({ id: 'job-1', status: 'processing', attempts: 3, maxAttempts: 3 });
    const failExhausted = jest.spyOn(generation, 'failExhausted');

    await sweeper.sweep(NOW);

    expect(failExhausted).toHaveBeenCalledTimes(1);
    expect(failExhausted).toHaveBeenCalledWith(expect.objectContaining({ id: 'job-1', attempts: 3 }));
    expect(jobs.row().attemptHistory).toEqual([]);
  });

  it('does not requeue a queued job with no attempt left (its next delivery would only fail it)', async () => {
    lost({ id: 'job-1', status: 'queued', attempts: 3, maxAttempts: 3 });

    const report = await sweeper.sweep(NOW);

    expect(queue.requeued).toEqual([]);
    expect(report).toEqual({ checked: 1, requeued: 0, failed: 0, published: 0, deliveriesRequeued: 0 });
  });

  it('does nothing more when the lost attempt could not be ended (the row moved on)', async () => {
    lost({ id: 'job-1', status: 'processing', attempts: 3, maxAttempts: 3 });
    jobs.changeIf = async () => null;

    const report = await sweeper.sweep(NOW);

    expect(report).toMatchObject({ failed: 0, requeued: 0 });
    expect(events.log).toEqual([]);
    expect(storage.removed).toEqual([]);
  });

  it('publishes outputs an attempt claimed before it died, and counts them', async () => {
    lost({ id: 'job-1', status: 'processing', attempts: 1, outputs: [OUTPUT] });
    storage.put('job-1/staging-1-0.png');

    const report = await sweeper.sweep(NOW);

    expect(jobs.row()).toMatchObject({ status: 'succeeded' });
    expect(storage.keys()).toEqual(['job-1/0.png']);
    expect(report).toMatchObject({ published: 1, requeued: 0 });
    expect(queue.requeued).toEqual([]);
  });

  it('counts no publication when the claim could not be completed', async () => {
    lost({ id: 'job-1', status: 'processing', attempts: 1, outputs: [OUTPUT] });
    jobs.changeIf = async () => null;

    const report = await sweeper.sweep(NOW);

    expect(report).toMatchObject({ published: 0, requeued: 0, failed: 0 });
  });

  it('queues again webhook deliveries lost as long as a queued job', async () => {
    webhooks.staleRequeued = 2;

    const report = await sweeper.sweep(NOW);

    expect(webhooks.staleBefore).toEqual([new Date(NOW - QUEUED_AGE_MS)]);
    expect(report).toEqual({ checked: 0, requeued: 0, failed: 0, published: 0, deliveriesRequeued: 2 });
  });

  describe('logging', () => {
    afterEach(() => jest.restoreAllMocks());

    it('warns about each requeued job and about a sweep that recovered anything', async () => {
      const logs = captureLogs();
      lost({ id: 'job-1', status: 'queued', attempts: 1 });

      const report = await sweeper.sweep(NOW);

      expect(logs).toEqual([
        {
          level: 'warn',
          fields: { jobId: 'job-1', status: 'queued', attempts: 1 },
          message: 'Requeued a job the queue had lost',
        },
        { level: 'warn', fields: report, message: 'Sweep recovered work the queue had lost' },
      ]);
    });

    it.each([
      ['failed', { status: 'processing' as const, attempts: 3, maxAttempts: 3 }],
      ['published', { status: 'processing' as const, attempts: 1, outputs: [OUTPUT] }],
    ])('warns about a sweep that %s a job', async (_case, overrides) => {
      const logs = captureLogs();
      lost(overrides);

      await sweeper.sweep(NOW);

      expect(logs.map((log) => log.message)).toContain('Sweep recovered work the queue had lost');
    });

    it('warns about a sweep that only requeued webhook deliveries', async () => {
      const logs = captureLogs();
      webhooks.staleRequeued = 1;

      await sweeper.sweep(NOW);

      expect(logs.map((log) => log.message)).toEqual(['Sweep recovered work the queue had lost']);
    });

    it('stays quiet when the queue lost nothing', async () => {
      const logs = captureLogs();
      lost({ id: 'job-1', status: 'queued' });
      queue.live.add('job-1');

      await sweeper.sweep(NOW);

      expect(logs).toEqual([]);
    });
  });

  it('leaves recently touched rows alone', async () => {
    lost({ id: 'job-1', status: 'queued', updatedAt: new Date(NOW - QUEUED_AGE_MS + 1) });
    lost({ id: 'job-2', status: 'processing', updatedAt: new Date(NOW - PROCESSING_AGE_MS + 1) });

    const report = await sweeper.sweep(NOW);

    expect(report.checked).toBe(0);
  });
});
