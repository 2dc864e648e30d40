import type { WebhooksConfig } from '@app/config';
import type { Queue } from 'bullmq';
import { FakeBullQueue } from './testing/queue-fakes';
import { type WebhookJobData, WebhookQueueProducer, WebhookRetryError } from './webhook-queue';

describe('WebhookQueueProducer', () => {
  let queue: FakeBullQueue;
  let producer: WebhookQueueProducer;

  beforeEach(() => {
    queue = new FakeBullQueue('webhooks');
    producer = new WebhookQueueProducer(
      queue as unknown as Queue<WebhookJobData>,
      { maxAttempts: 7, backoffMs: 1000 } as WebhooksConfig,
    );
  });

  afterEach(() => jest.restoreAllMocks());

  it('rule: a delivery is one BullMQ job under its own id, tried WEBHOOK_MAX_ATTEMPTS times with our backoff', async () => {
    await producer.enqueue('d1');

    expect(queue.added).toEqual([
      {
        name: 'deliver',
        data: { deliveryId: 'd1' },
        opts: {
          jobId: 'd1',
          attempts: 7,
          backoff: { type: 'webhook-delivery' },
          removeOnComplete: { age: 86_400 },
          removeOnFail: { age: 604_800 },
        },
      },
    ]);
  });

  describe('rule: the sweep queues a delivery again only when BullMQ no longer runs it', () => {
    it('queues a delivery BullMQ lost', async () => {
      expect(await producer.ensureQueued('d1')).toBe(true);
      expect(await queue.getJobState('d1')).toBe('waiting');
    });

    it.each(['completed', 'failed'] as const)('replaces a %s entry', async (state) => {
      queue.hold('d1', state);

      expect(await producer.ensureQueued('d1')).toBe(true);
      expect(await queue.getJobState('d1')).toBe('waiting');
      expect(queue.added).toHaveLength(1);
    });

    it.each(['waiting', 'delayed', 'active'] as const)('leaves a %s entry alone', async (state) => {
      queue.hold('d1', state);

      expect(await producer.ensureQueued('d1')).toBe(false);
      expect(await queue.getJobState('d1')).toBe(state);
      expect(queue.added).toEqual([]);
    });
  });

  describe('rule: retries wait WEBHOOK_BACKOFF_MS doubling per attempt, up to 20 % shorter at random', () => {
    it.each([
      [0, 0, 1000],
      [1, 0, 2000],
      [3, 0, 8000],
      [0, 1, 800],
      [2, 0.5, 3600],
      [1, 0.123, 1951],
    ])('after %i attempts, with random %d: %i ms', (attemptsMade, random, delay) => {
      expect(producer.retryDelayMs(attemptsMade, random)).toBe(delay);
    });

    it('draws the jitter from Math.random by default', () => {
      jest.spyOn(Math, 'random').mockReturnValue(0.5);

      expect(producer.retryDelayMs(0)).toBe(900);
    });
  });

  it('rule: a retry carries its delay to BullMQ’s backoff through the error', () => {
    const error = new WebhookRetryError('The receiver answered 503', 4000);

    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'WebhookRetryError', message: 'The receiver answered 503', delayMs: 4000 });
  });
});
