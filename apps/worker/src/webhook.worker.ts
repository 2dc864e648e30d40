import { type QueueConfig, queueConfig } from '@app/config';
import { WEBHOOK_QUEUE, type WebhookJobData, WebhookQueueProducer, WebhookRetryError } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import { QueueWorker, type WorkerPlan } from './queue-worker';
import { WebhookProcessor } from './webhook.processor';

/** Deliveries run at once per worker process; each mostly waits on a receiver. */
const DELIVERY_CONCURRENCY = 16;

/** Delivers webhooks, retried with the delay each failed delivery recorded. */
@Injectable()
export class WebhookWorker extends QueueWorker<WebhookJobData> {
  constructor(
    private readonly processor: WebhookProcessor,
    private readonly webhooks: WebhookQueueProducer,
    @Inject(queueConfig.KEY) queue: QueueConfig,
  ) {
    super(queue);
  }

  protected async plan(): Promise<WorkerPlan<WebhookJobData>> {
    return {
      queueName: WEBHOOK_QUEUE,
      processor: (job) => this.processor.process(job),
      options: {
        concurrency: DELIVERY_CONCURRENCY,
        settings: {
          // A failed delivery carries the delay its row already shows; anything else backs off alike.
          backoffStrategy: (attemptsMade, _type, error) =>
            error instanceof WebhookRetryError ? error.delayMs : this.webhooks.retryDelayMs(attemptsMade - 1),
        },
      },
    };
  }

  protected async shutdownTimedOut(): Promise<void> {
    // An unfinished delivery is retried later with the same webhook-id, so receivers can dedupe it.
    this.logger.warn('Webhook deliveries still running at shutdown; they will be retried');
  }
}
