import { isFinalAttempt } from '@app/jobs';
import type { WebhookJobData } from '@app/queue';
import { WebhookAbandonedError, WebhookDeliveryService } from '@app/webhooks';
import { Injectable } from '@nestjs/common';
import { type Job, UnrecoverableError } from 'bullmq';

/** Adapts a BullMQ webhook job to one delivery attempt; retries belong to BullMQ. */
@Injectable()
export class WebhookProcessor {
  constructor(private readonly deliveries: WebhookDeliveryService) {}

  async process(job: Job<WebhookJobData>): Promise<void> {
    try {
      await this.deliveries.deliver(job.data.deliveryId, {
        attemptsMade: job.attemptsMade,
        isLast: isFinalAttempt(job.attemptsMade + 1, job.opts.attempts ?? 1),
      });
    } catch (error) {
      if (error instanceof WebhookAbandonedError) throw new UnrecoverableError(error.message);
      throw error;
    }
  }
}
