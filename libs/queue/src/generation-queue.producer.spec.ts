import type { QueueConfig } from '@app/config';
import { Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { type GenerationJobData, generationJobOptions } from './generation-queue';
import { GenerationQueueProducer } from './generation-queue.producer';
import type { QueueRedis } from './queue-redis';
import { FakeBullQueue } from './testing/queue-fakes';

describe('generationJobOptions', () => {
  it('rule: BullMQ’s own try limit is out of reach (the row decides), with jittered exponential backoff', () => {
    expect(generationJobOptions(2500)).toEqual({
      attempts: 2_147_483_647,
      backoff: { type: 'exponential', delay: 2500, jitter: 0.5 },
      removeOnComplete: { age: 86_400, count: 10_000 },
      removeOnFail: { age: 604_800 },
    });
  });
});

describe('GenerationQueueProducer', () => {
  let queue: FakeBullQueue;
  let producer: GenerationQueueProducer;
  /** The Redis command queue positions start with, in a transaction with LLEN (redis-waiting-list.spec reads a real list). */
  let lrange: jest.Mock;

  beforeEach(() => {
    queue = new FakeBullQueue();
    lrange = jest.fn();
    const multi = () => {
      let range: unknown[] = [];
      const transaction = {
        lrange: (...args: unknown[]) => {
          range = args;
          return transaction;
        },
        llen: () => transaction,
        exec: async () => [
          [null, await lrange(...range)],
          [null, 2],
        ],
      };
      return transaction;
    };
    producer = new GenerationQueueProducer(
      queue as unknown as Queue<GenerationJobData>,
      { backoffMs: 2500 } as QueueConfig,
      { client: { multi } } as unknown as QueueRedis,
    );
  });

  afterEach(() => jest.restoreAllMocks());

  it('rule: the BullMQ job id is the row id, so enqueueing twice is harmless', async () => {
    await producer.enqueue('row-1');

    expect(queue.added).toEqual([
      { name: 'generate', data: { jobId: 'row-1' }, opts: { ...generationJobOptions(2500), jobId: 'row-1' } },
    ]);
  });

  it.each(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children'] as const)(
    'rule: a job %s in BullMQ is live (BullMQ will still run it)',
    async (state) => {
      queue.hold('row-1', state);

      expect(await producer.isLive('row-1')).toBe(true);
    },
  );

  it.each(['completed', 'failed', 'unknown'] as const)('rule: a job %s in BullMQ is not live', async (state) => {
    queue.hold('row-1', state);

    expect(await producer.isLive('row-1')).toBe(false);
    expect(await producer.isLive('never-queued')).toBe(false);
  });

  describe('rule: requeue puts back a job BullMQ no longer runs, replacing a finished entry', () => {
    it.each(['completed', 'failed'] as const)('removes a %s entry first, so the add takes effect', async (state) => {
      queue.hold('row-1', state);

      await producer.requeue('row-1');

      expect(await queue.getJobState('row-1')).toBe('waiting');
      expect(queue.added.map((entry) => entry.opts.jobId)).toEqual(['row-1']);
    });

    it('enqueues a job BullMQ lost', async () => {
      await producer.requeue('row-1');

      expect(await queue.getJobState('row-1')).toBe('waiting');
    });

    it.each(['active', 'delayed'] as const)('leaves an %s entry in place', async (state) => {
      const entry = queue.hold('row-1', state);
      const remove = jest.spyOn(entry, 'remove');

      await producer.requeue('row-1');

      expect(remove).not.toHaveBeenCalled();
      expect(await queue.getJobState('row-1')).toBe(state);
    });
  });

  describe('rule: a canceled job leaves the queue only if no worker runs it yet', () => {
    it('removes a waiting job', async () => {
      queue.hold('row-1', 'waiting');

      await producer.discardWaiting('row-1');

      expect(queue.jobs.has('row-1')).toBe(false);
    });

    it('leaves a running job to its worker', async () => {
      queue.hold('row-1', 'active');

      await producer.discardWaiting('row-1');

      expect(queue.jobs.has('row-1')).toBe(true);
    });

    it('does nothing for a job the queue does not hold', async () => {
      await expect(producer.discardWaiting('row-1')).resolves.toBeUndefined();
    });

    it('logs, and does not throw, when the removal fails', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const failure = new Error('Job row-1 is locked');
      queue.hold('row-1', 'waiting').removeFailure = failure;

      await producer.discardWaiting('row-1');

      expect(warn).toHaveBeenCalledWith(
        { jobId: 'row-1', err: failure },
        'Could not remove a canceled job from the queue',
      );
    });
  });

  describe('rule: queue positions come from the front of this queue’s waiting list', () => {
    const queued = (id: string) => ({ id, createdAt: new Date(0) });

    it('reads the list workers take from', async () => {
      lrange.mockResolvedValue(['second', 'first']);

      expect(await producer.queuePositions([queued('first'), queued('second')])).toEqual(
        new Map([
          ['first', 0],
          ['second', 1],
        ]),
      );
      expect(lrange).toHaveBeenCalledWith('bull:generation:wait', -10_000, -1);
    });

    it('logs a failed read and leaves the positions unknown', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const down = new Error('Connection is closed.');
      lrange.mockRejectedValue(down);

      expect(await producer.queuePositions([queued('first')])).toEqual(new Map());
      expect(warn).toHaveBeenCalledWith({ err: down }, 'Could not read queue positions');
    });
  });

  it('rule: upstream throttling holds back the whole queue for the delay asked', async () => {
    await producer.rateLimit(7000);

    expect(queue.rateLimits).toEqual([7000]);
  });
});
