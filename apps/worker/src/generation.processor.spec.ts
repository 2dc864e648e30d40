import type { QueueConfig } from '@app/config';
import {
  type AttemptContext,
  AttemptFailedError,
  AttemptInterruptedError,
  type GenerationService,
  InfrastructureUnavailableError,
} from '@app/jobs';
import type { GenerationJobData, GenerationQueueProducer } from '@app/queue';
import { Logger } from '@nestjs/common';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { GenerationProcessor } from './generation.processor';

interface FakeJob {
  data: GenerationJobData;
  moveToDelayed: jest.Mock;
  updateData: jest.Mock;
}

function fakeJob(data: GenerationJobData = { jobId: 'j1' }): Job<GenerationJobData> & FakeJob {
  const job: FakeJob = {
    data,
    moveToDelayed: jest.fn().mockResolvedValue(undefined),
    updateData: jest.fn().mockResolvedValue(undefined),
  };
  return job as unknown as Job<GenerationJobData> & FakeJob;
}

const DAY_MS = 24 * 3600 * 1000;
const failed = (final: boolean, retryAfterMs?: number) =>
  new AttemptFailedError(
    'j1',
    { code: 'upstream_unavailable', message: 'Replicate is down', retryable: true, retryAfterMs },
    final,
  );
const outage = (unrecordedAttempt?: number) =>
  new InfrastructureUnavailableError('j1', unrecordedAttempt, new Error('connect ECONNREFUSED 127.0.0.1:5432'));

describe('GenerationProcessor', () => {
  let runAttempt: jest.Mock<Promise<void>, [string, AttemptContext]>;
  let failUnavailable: jest.Mock<Promise<void>, [string]>;
  let rateLimit: jest.Mock<Promise<void>, [number]>;
  let processor: GenerationProcessor;
  let warn: jest.SpyInstance;
  let error: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    runAttempt = jest.fn<Promise<void>, [string, AttemptContext]>().mockResolvedValue(undefined);
    failUnavailable = jest.fn<Promise<void>, [string]>().mockResolvedValue(undefined);
    rateLimit = jest.fn<Promise<void>, [number]>().mockResolvedValue(undefined);
    processor = new GenerationProcessor(
      { runAttempt, failUnavailable } as unknown as GenerationService,
      { rateLimit } as unknown as GenerationQueueProducer,
      { infrastructureOutageMaxMs: DAY_MS } as QueueConfig,
    );
  });

  afterEach(() => jest.restoreAllMocks());

  it('runs the attempt with the abort signal', async () => {
    const signal = new AbortController().signal;

    await processor.process(fakeJob(), 'token', signal);

    expect(runAttempt).toHaveBeenCalledWith('j1', { signal, unrecordedAttempt: undefined });
  });

  it('ends the job in BullMQ (UnrecoverableError, same message) when the row says the failure is final', async () => {
    runAttempt.mockRejectedValue(failed(true));

    const failure = processor.process(fakeJob());

    await expect(failure).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(failure).rejects.toThrow('Replicate is down');
  });

  it('rethrows a failure the row keeps retrying, so BullMQ retries it with backoff', async () => {
    const transient = failed(false);
    runAttempt.mockRejectedValue(transient);

    await expect(processor.process(fakeJob())).rejects.toBe(transient);
    expect(rateLimit).not.toHaveBeenCalled();
  });

  it('rate-limits the whole queue on upstream throttling and re-queues without using an attempt', async () => {
    runAttempt.mockRejectedValue(failed(false, 7000));

    const thrown = await processor.process(fakeJob()).catch((error: unknown) => error);

    expect(rateLimit).toHaveBeenCalledWith(7000);
    expect((thrown as Error).name).toBe('RateLimitError');
  });

  it('hands an interrupted attempt back to the queue at once', async () => {
    runAttempt.mockRejectedValue(new AttemptInterruptedError('j1'));
    const job = fakeJob();
    const before = Date.now();

    await expect(processor.process(job, 'lock-token')).rejects.toBeInstanceOf(DelayedError);

    expect(job.moveToDelayed).toHaveBeenCalledWith(expect.any(Number), 'lock-token');
    expect(job.moveToDelayed.mock.calls[0][0]).toBeGreaterThanOrEqual(before);
  });

  describe('during a PostgreSQL or Redis outage', () => {
    it('delays the job without a try, remembering the unrecorded attempt and when the outage began', async () => {
      runAttempt.mockRejectedValue(outage(2));
      const job = fakeJob();
      const before = Date.now();

      await expect(processor.process(job, 'lock-token')).rejects.toBeInstanceOf(DelayedError);

      expect(job.updateData).toHaveBeenCalledWith({
        jobId: 'j1',
        outage: { since: expect.any(Number), checks: 1, unrecordedAttempt: 2 },
      });
      const [[until, token]] = job.moveToDelayed.mock.calls;
      expect(token).toBe('lock-token');
      expect(until - before).toBeGreaterThanOrEqual(500);
      expect(until - Date.now()).toBeLessThanOrEqual(1000);
      expect(warn).toHaveBeenCalledWith(
        {
          jobId: 'j1',
          check: 1,
          retryInMs: expect.any(Number),
          unrecordedAttempt: 2,
          reason: expect.stringContaining('ECONNREFUSED'),
        },
        'PostgreSQL or Redis unavailable; the job waits without using an attempt',
      );
    });

    it('hands the unrecorded attempt to the next run, to be given back', async () => {
      runAttempt.mockRejectedValue(outage());
      const job = fakeJob({ jobId: 'j1', outage: { since: Date.now() - 5000, checks: 3, unrecordedAttempt: 2 } });

      await expect(processor.process(job)).rejects.toBeInstanceOf(DelayedError);

      expect(runAttempt).toHaveBeenCalledWith('j1', expect.objectContaining({ unrecordedAttempt: 2 }));
      expect(job.updateData).toHaveBeenCalledWith({
        jobId: 'j1',
        outage: expect.objectContaining({ checks: 4, unrecordedAttempt: 2 }),
      });
    });

    it('fails the job infrastructure_unavailable once the outage outlasts the ceiling', async () => {
      runAttempt.mockRejectedValue(outage());
      const job = fakeJob({ jobId: 'j1', outage: { since: Date.now() - DAY_MS, checks: 1500 } });

      const thrown = processor.process(job);

      await expect(thrown).rejects.toBeInstanceOf(UnrecoverableError);
      await expect(thrown).rejects.toThrow('infrastructure_unavailable');
      expect(failUnavailable).toHaveBeenCalledWith('j1');
      expect(job.moveToDelayed).not.toHaveBeenCalled();
      expect(error).toHaveBeenCalledWith(
        { jobId: 'j1', since: job.data.outage?.since },
        'Job failed: the infrastructure outage outlasted its ceiling',
      );
    });

    it('still ends the BullMQ job when the failure cannot be recorded yet', async () => {
      runAttempt.mockRejectedValue(outage());
      failUnavailable.mockRejectedValue(new Error('connect ECONNREFUSED'));
      const job = fakeJob({ jobId: 'j1', outage: { since: Date.now() - DAY_MS, checks: 1500 } });

      await expect(processor.process(job)).rejects.toBeInstanceOf(UnrecoverableError);
      expect(warn).toHaveBeenCalledWith(
        { jobId: 'j1', reason: 'connect ECONNREFUSED' },
        'Could not record the failure',
      );
    });

    it('gives up on an outage met at the very first check when the ceiling is zero', async () => {
      processor = new GenerationProcessor(
        { runAttempt, failUnavailable } as unknown as GenerationService,
        { rateLimit } as unknown as GenerationQueueProducer,
        { infrastructureOutageMaxMs: 0 } as QueueConfig,
      );
      runAttempt.mockRejectedValue(outage());

      await expect(processor.process(fakeJob())).rejects.toBeInstanceOf(UnrecoverableError);
      expect(error).toHaveBeenCalledWith(
        { jobId: 'j1', since: undefined },
        'Job failed: the infrastructure outage outlasted its ceiling',
      );
    });

    it('forgets the outage once an attempt ran', async () => {
      const job = fakeJob({ jobId: 'j1', outage: { since: Date.now() - 5000, checks: 3 } });

      await processor.process(job);

      expect(job.updateData).toHaveBeenCalledWith({ jobId: 'j1' });
    });

    it('leaves the job data alone when there was no outage', async () => {
      const job = fakeJob();

      await processor.process(job);

      expect(job.updateData).not.toHaveBeenCalled();
    });
  });

  it('rethrows any other error as is', async () => {
    const unexpected = new TypeError('cannot read properties of undefined');
    runAttempt.mockRejectedValue(unexpected);

    await expect(processor.process(fakeJob())).rejects.toBe(unexpected);
  });
});
