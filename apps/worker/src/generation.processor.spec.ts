import type { GeneratorConfig, QueueConfig } from '@app/config';
import type { AttemptInfo, GenerationService } from '@app/jobs';
import type { GenerationJobData } from '@app/queue';
import { GenerationError } from '@app/replicate';
import { type Job, UnrecoverableError } from 'bullmq';
import { GenerationProcessor } from './generation.processor';

interface FakeJob {
  data: GenerationJobData;
  attemptsStarted: number;
  attemptsMade: number;
  opts: { attempts?: number };
}

function fakeJob(overrides: Partial<FakeJob> = {}): Job<GenerationJobData> {
  const job: FakeJob = {
    data: { jobId: 'j1' },
    attemptsStarted: 2,
    attemptsMade: 1,
    opts: { attempts: 3 },
    ...overrides,
  };
  return job as unknown as Job<GenerationJobData>;
}

describe('GenerationProcessor', () => {
  let runAttempt: jest.Mock<Promise<void>, [string, AttemptInfo]>;
  let processor: GenerationProcessor;

  beforeEach(() => {
    runAttempt = jest.fn<Promise<void>, [string, AttemptInfo]>().mockResolvedValue(undefined);
    const generation = { runAttempt } as unknown as GenerationService;
    processor = new GenerationProcessor(
      generation,
      { concurrency: 2 } as QueueConfig,
      {
        startsPerMinute: null,
      } as GeneratorConfig,
    );
  });

  describe('process', () => {
    it('runs the attempt numbered by BullMQ’s attemptsStarted, not the last one while attempts remain', async () => {
      await processor.process(fakeJob());

      expect(runAttempt).toHaveBeenCalledTimes(1);
      expect(runAttempt).toHaveBeenCalledWith('j1', { number: 2, isLast: false });
    });

    it('marks the attempt as the last one when it is the final allowed attempt', async () => {
      await processor.process(fakeJob({ attemptsStarted: 3, attemptsMade: 2 }));

      expect(runAttempt).toHaveBeenCalledWith('j1', { number: 3, isLast: true });
    });

    it('treats a job without an attempts option as having a single, last attempt', async () => {
      await processor.process(fakeJob({ attemptsStarted: 1, attemptsMade: 0, opts: {} }));

      expect(runAttempt).toHaveBeenCalledWith('j1', { number: 1, isLast: true });
    });

    it('resolves when the attempt succeeds', async () => {
      await expect(processor.process(fakeJob())).resolves.toBeUndefined();
    });

    it('turns a permanent GenerationError into an UnrecoverableError with the same message, so BullMQ stops retrying', async () => {
      runAttempt.mockRejectedValue(
        new GenerationError('invalid_input', 'input.width must be an integer from 16 to 1024', { retryable: false }),
      );

      const failure = processor.process(fakeJob());

      await expect(failure).rejects.toBeInstanceOf(UnrecoverableError);
      await expect(failure).rejects.toThrow('input.width must be an integer from 16 to 1024');
    });

    it('rethrows a retryable GenerationError as the same instance, so BullMQ retries it', async () => {
      const transient = new GenerationError('upstream_unavailable', 'Replicate is down', { retryable: true });
      runAttempt.mockRejectedValue(transient);

      const thrown = await processor.process(fakeJob()).catch((error: unknown) => error);

      expect(thrown).toBe(transient);
      expect(thrown).not.toBeInstanceOf(UnrecoverableError);
    });

    it('rethrows any other error as is', async () => {
      const unexpected = new TypeError('cannot read properties of undefined');
      runAttempt.mockRejectedValue(unexpected);

      const thrown = await processor.process(fakeJob()).catch((error: unknown) => error);

      expect(thrown).toBe(unexpected);
    });
  });
});
