import type { WebhooksConfig } from '@app/config';
import type { WebhookDeliveriesRepository } from '@app/database';
import { DestinationPolicy } from '@app/egress';
import type { WebhookQueueProducer } from '@app/queue';
import { Logger } from '@nestjs/common';
import { FakeWebhookQueue, InMemoryDeliveries, webhooksConfigFor } from './testing/webhook-fakes';
import { WebhookDispatcher, type WebhookTarget } from './webhook-dispatcher.service';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('WebhookDispatcher', () => {
  let deliveries: InMemoryDeliveries;
  let queue: FakeWebhookQueue;

  const dispatcher = (config: Partial<WebhooksConfig> = {}) =>
    new WebhookDispatcher(
      deliveries as unknown as WebhookDeliveriesRepository,
      queue as unknown as WebhookQueueProducer,
      new DestinationPolicy([]),
      webhooksConfigFor({ secrets: [SECRET], allowHttp: false, ...config }),
    );

  beforeEach(() => {
    deliveries = new InMemoryDeliveries();
    queue = new FakeWebhookQueue();
  });

  afterEach(() => jest.restoreAllMocks());

  describe('rule: a webhook URL is accepted at submit only when webhooks are on and the egress policy allows it', () => {
    it('refuses every URL while WEBHOOK_SECRETS is unset', () => {
      expect(dispatcher({ secrets: [] }).refuse('https://receiver.example.com/hook')).toBe(
        'webhooks are not enabled on this server (WEBHOOK_SECRETS is unset)',
      );
    });

    it('accepts a public https URL', () => {
      expect(dispatcher().refuse('https://receiver.example.com/hook')).toBeNull();
    });

    it('passes the egress policy’s reason on, naming the webhook', () => {
      expect(dispatcher().refuse('https://127.0.0.1/hook')).toBe(
        'webhook must not point at a private or special-purpose address',
      );
    });

    it('applies WEBHOOK_ALLOW_HTTP to plain http URLs', () => {
      expect(dispatcher({ allowHttp: false }).refuse('http://receiver.example.com/hook')).toBe(
        'webhook must be an https URL',
      );
      expect(dispatcher({ allowHttp: true }).refuse('http://receiver.example.com/hook')).toBeNull();
    });
  });

  describe('rule: each (job, event) the job subscribed to is recorded once and queued once', () => {
    const job: WebhookTarget = { id: 'job-1', webhook: { url: 'https://r.example.com/h', events: ['completed'] } };

    it('records the event with its payload and queues the delivery', async () => {
      await dispatcher().schedule(job, 'completed', () => ({ status: 'succeeded' }));

      const [row] = deliveries.rows.values();
      expect(row).toMatchObject({
        jobId: 'job-1',
        event: 'completed',
        url: 'https://r.example.com/h',
        payload: { status: 'succeeded' },
      });
      expect(queue.enqueued).toEqual([row.id]);
    });

    it('does nothing for an event the job did not subscribe to, or a job without a webhook', async () => {
      const payload = jest.fn(() => ({}));
      await dispatcher().schedule(job, 'start', payload);
      await dispatcher().schedule({ id: 'job-2', webhook: null }, 'completed', payload);

      expect(payload).not.toHaveBeenCalled();
      expect(deliveries.rows.size).toBe(0);
      expect(queue.enqueued).toEqual([]);
    });

    it('queues nothing the second time the same event is scheduled', async () => {
      await dispatcher().schedule(job, 'completed', () => ({}));
      await dispatcher().schedule(job, 'completed', () => ({}));

      expect(deliveries.rows.size).toBe(1);
      expect(queue.enqueued).toHaveLength(1);
    });

    it('keeps the recorded delivery when queueing fails, logging it (the sweep queues it later)', async () => {
      const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const down = new Error('Connection is closed.');
      queue.enqueueFailure = down;

      await dispatcher().schedule(job, 'completed', () => ({}));

      const [row] = deliveries.rows.values();
      expect(row.jobId).toBe('job-1');
      expect(error).toHaveBeenCalledWith(
        { jobId: 'job-1', deliveryId: row.id, err: down },
        'Could not queue a webhook delivery',
      );
    });
  });

  describe('rule: the sweep queues again pending deliveries untouched since the cutoff whose queue entry is lost', () => {
    it('requeues only stale pending deliveries BullMQ no longer holds, and counts them', async () => {
      const cutoff = new Date('2026-01-01T00:10:00Z');
      const lost = deliveries.add({ updatedAt: new Date('2026-01-01T00:00:00Z') });
      const stillQueued = deliveries.add({ jobId: 'job-2', updatedAt: new Date('2026-01-01T00:00:00Z') });
      deliveries.add({ jobId: 'job-3', updatedAt: new Date('2026-01-01T00:20:00Z') });
      deliveries.add({ jobId: 'job-4', status: 'delivered', updatedAt: new Date('2026-01-01T00:00:00Z') });
      queue.queued.add(stillQueued.id);

      expect(await dispatcher().requeueStale(cutoff)).toBe(1);
      expect(queue.enqueued).toEqual([lost.id]);
    });

    it('looks at no more than 500 deliveries per sweep', async () => {
      const find = jest.spyOn(deliveries, 'findPendingUntouchedSince');
      const cutoff = new Date();

      expect(await dispatcher().requeueStale(cutoff)).toBe(0);
      expect(find).toHaveBeenCalledWith(cutoff, 500);
    });
  });
});
