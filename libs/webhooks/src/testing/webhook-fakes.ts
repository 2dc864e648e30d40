import type { WebhooksConfig } from '@app/config';
import type { DeliveryAttempt, NewDelivery, WebhookDeliveryEntity } from '@app/database';

/** In-memory stand-ins for the ports the webhook services use, for unit specs. */

export function webhooksConfigFor(overrides: Partial<WebhooksConfig> = {}): WebhooksConfig {
  return { secrets: [], allowHttp: true, timeoutMs: 2000, maxAttempts: 5, backoffMs: 1000, ...overrides };
}

/** WebhookDeliveriesRepository over a Map; every recorded attempt is kept in `attempts`. */
export class InMemoryDeliveries {
  readonly rows = new Map<string, WebhookDeliveryEntity>();
  readonly attempts: { id: string; attempt: DeliveryAttempt }[] = [];
  private nextId = 1;

  add(fields: Partial<WebhookDeliveryEntity> = {}): WebhookDeliveryEntity {
    const row = {
      id: `d${this.nextId++}`,
      jobId: 'job-1',
      event: 'completed',
      url: 'http://receiver.test/hook',
      payload: { id: 'job-1', status: 'succeeded' },
      status: 'pending',
      attempts: 0,
      updatedAt: new Date(0),
      ...fields,
    } as WebhookDeliveryEntity;
    this.rows.set(row.id, row);
    return row;
  }

  async findById(id: string): Promise<WebhookDeliveryEntity | null> {
    return this.rows.get(id) ?? null;
  }

  async insertOnce(delivery: NewDelivery): Promise<WebhookDeliveryEntity | null> {
    const taken = [...this.rows.values()].some((row) => row.jobId === delivery.jobId && row.event === delivery.event);
    return taken ? null : this.add(delivery);
  }

  async findPendingUntouchedSince(before: Date, limit: number): Promise<WebhookDeliveryEntity[]> {
    return [...this.rows.values()].filter((row) => row.status === 'pending' && row.updatedAt < before).slice(0, limit);
  }

  async recordAttempt(id: string, attempt: DeliveryAttempt): Promise<void> {
    this.attempts.push({ id, attempt });
  }
}

/** WebhookQueueProducer without Redis: `queued` holds the delivery ids BullMQ would still run. */
export class FakeWebhookQueue {
  readonly enqueued: string[] = [];
  readonly queued = new Set<string>();
  enqueueFailure?: Error;

  async enqueue(deliveryId: string): Promise<void> {
    if (this.enqueueFailure) throw this.enqueueFailure;
    this.enqueued.push(deliveryId);
    this.queued.add(deliveryId);
  }

  async ensureQueued(deliveryId: string): Promise<boolean> {
    if (this.queued.has(deliveryId)) return false;
    await this.enqueue(deliveryId);
    return true;
  }

  /** 1 s for the first retry, doubling: easy to tell apart per attempt. */
  retryDelayMs(attemptsMade: number): number {
    return 1000 * 2 ** attemptsMade;
  }
}
