import { type WebhooksConfig, webhooksConfig } from '@app/config';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { queueAgain } from './queue-again';

export const WEBHOOK_QUEUE = 'webhooks';

export interface WebhookJobData {
  deliveryId: string;
}

/** The backoff type of webhook jobs: the delay is decided by `retryDelayMs` and passed on through the error. */
export const WEBHOOK_BACKOFF = 'webhook-delivery';

/** Spread of each retry delay, so receivers that were down do not get every retry at once. */
const JITTER = 0.2;

/** Thrown by a failed delivery attempt that is to be tried again after `delayMs`. */
export class WebhookRetryError extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'WebhookRetryError';
  }
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
        backoff: { type: WEBHOOK_BACKOFF },
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
  }

  /** Queues the delivery unless BullMQ still runs it (a finished entry is replaced). */
  ensureQueued(deliveryId: string): Promise<boolean> {
    return queueAgain(this.queue, deliveryId, () => this.enqueue(deliveryId));
  }

  /**
   * How long to wait before attempt `attemptsMade + 2`: WEBHOOK_BACKOFF_MS doubling per attempt,
   * up to 20 % shorter at random. Decided once, so the delivery's `nextAttemptAt` is the time BullMQ uses.
   */
  retryDelayMs(attemptsMade: number, random = Math.random()): number {
    return Math.round(this.config.backoffMs * 2 ** attemptsMade * (1 - JITTER * random));
  }
}
