import { type AttemptContext, AttemptInterruptedError, type GenerationService } from '@app/jobs';
import type { GenerationJobData, GenerationQueueProducer } from '@app/queue';
import { GenerationError } from '@app/replicate';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { GenerationProcessor } from './generation.processor';

interface FakeJob {
  data: GenerationJobData;
  attemptsMade: number;
  opts: { attempts?: number };
  moveToDelayed: jest.Mock;
}

function fakeJob(overrides: Partial<FakeJob> = {}): Job<GenerationJobData> & FakeJob {
  const job: FakeJob = {
    data: { jobId: 'j1' },
    attemptsMade: 1,
    opts: { attempts: 3 },
    moveToDelayed: jest.fn().mockResolvedValue(undefined),
    ...overrides,
  };
  return job as unknown as Job<GenerationJobData> & FakeJob;
}

describe('GenerationProcessor', () => {
  let runAttempt: jest.Mock<Promise<void>, [string, AttemptContext]>;
  let rateLimit: jest.Mock<Promise<void>, [number]>;
  let processor: GenerationProcessor;

  beforeEach(() => {
    runAttempt = jest.fn<Promise<void>, [string, AttemptContext]>().mockResolvedValue(undefined);
    rateLimit = jest.fn<Promise<void>, [number]>().mockResolvedValue(undefined);
    processor = new GenerationProcessor(
      { runAttempt } as unknown as GenerationService,
      { rateLimit } as unknown as GenerationQueueProducer,
    );
  });

  it('runs the attempt with the abort signal and says whether BullMQ has retries left', async () => {
    const signal = new AbortController().signal;

    await processor.process(fakeJob(), 'token', signal);

    expect(runAttempt).toHaveBeenCalledWith('j1', { queueHasNoRetryLeft: false, signal });
  });

  it.each([
    [2, 3, true],
    [0, 3, false],
    [0, undefined, true],
  ])('with %i attempts made of %s, queueHasNoRetryLeft is %s', async (attemptsMade, attempts, expected) => {
    await processor.process(fakeJob({ attemptsMade, opts: { attempts } }));

    expect(runAttempt).toHaveBeenCalledWith('j1', expect.objectContaining({ queueHasNoRetryLeft: expected }));
  });

  it('turns a permanent GenerationError into an UnrecoverableError with the same message', async () => {
    runAttempt.mockRejectedValue(
      new GenerationError('invalid_input', 'input.width is too large', { retryable: false }),
    );

    const failure = processor.process(fakeJob());

    await expect(failure).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(failure).rejects.toThrow('input.width is too large');
  });

  it('rethrows a retryable GenerationError as the same instance, so BullMQ retries it with backoff', async () => {
    const transient = new GenerationError('upstream_unavailable', 'Replicate is down', { retryable: true });
    runAttempt.mockRejectedValue(transient);

    await expect(processor.process(fakeJob())).rejects.toBe(transient);
    expect(rateLimit).not.toHaveBeenCalled();
  });

  it('rate-limits the whole queue on upstream throttling and re-queues without using an attempt', async () => {
    runAttempt.mockRejectedValue(
      new GenerationError('upstream_rate_limited', 'Throttled', { retryable: true, retryAfterMs: 7000 }),
    );

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

  it('rethrows any other error as is', async () => {
    const unexpected = new TypeError('cannot read properties of undefined');
    runAttempt.mockRejectedValue(unexpected);

    await expect(processor.process(fakeJob())).rejects.toBe(unexpected);
  });
});
