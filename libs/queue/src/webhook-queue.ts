import { type WebhooksConfig, webhooksConfig } from '@app/config';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';

export const WEBHOOK_QUEUE = 'webhooks';

export interface WebhookJobData {
  deliveryId: string;
}

/** Queues webhook deliveries, retried with exponential backoff (WEBHOOK_BACKOFF_MS, doubling) for hours. */
@Injectable()
export class WebhookQueueProducer {
  constructor(
    @InjectQueue(WEBHOOK_QUEUE) private readonly queue: Queue<WebhookJobData>,
    @Inject(webhooksConfig.KEY) private readonly config: WebhooksConfig,
  ) {}

  async enqueue(deliveryId: string): Promise<void> {
    await this.queue.add(
      'deliver',
      { deliveryId },
      {
        jobId: deliveryId,
        attempts: this.config.maxAttempts,
        backoff: { type: 'exponential', delay: this.config.backoffMs, jitter: 0.2 },
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
  }

  /** Queues the delivery unless BullMQ still runs it (a finished entry is replaced). */
  async ensureQueued(deliveryId: string): Promise<boolean> {
    const existing = await this.queue.getJob(deliveryId);
    if (existing && !((await existing.isCompleted()) || (await existing.isFailed()))) return false;
    await existing?.remove();
    await this.enqueue(deliveryId);
    return true;
  }

  /** When attempt `attemptsMade + 1` will run if this one fails (BullMQ's exponential backoff). */
  nextAttemptAt(attemptsMade: number, now = Date.now()): Date {
    return new Date(now + this.config.backoffMs * 2 ** attemptsMade);
  }
}
