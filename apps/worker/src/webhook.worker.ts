import { type QueueConfig, queueConfig } from '@app/config';
import { WEBHOOK_QUEUE, type WebhookJobData, WebhookQueueProducer, WebhookRetryError } from '@app/queue';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { QueueWorker } from './queue-worker';
import { WebhookProcessor } from './webhook.processor';

/** Deliveries run at once per worker process; each mostly waits on a receiver. */
const DELIVERY_CONCURRENCY = 16;

/** Owns the worker that delivers webhooks; stops within WORKER_SHUTDOWN_TIMEOUT_MS. */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookWorker.name);
  private lifecycle?: QueueWorker<WebhookJobData>;

  constructor(
    private readonly processor: WebhookProcessor,
    private readonly webhooks: WebhookQueueProducer,
    @Inject(queueConfig.KEY) private readonly queue: QueueConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.lifecycle = new QueueWorker<WebhookJobData>(
      WEBHOOK_QUEUE,
      (job) => this.processor.process(job),
      this.queue,
      this.logger,
      {
        concurrency: DELIVERY_CONCURRENCY,
        settings: {
          // A failed delivery carries the delay its row already shows; anything else backs off alike.
          backoffStrategy: (attemptsMade, _type, error) =>
            error instanceof WebhookRetryError ? error.delayMs : this.webhooks.retryDelayMs(attemptsMade - 1),
        },
      },
    );
    await this.lifecycle.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    // An unfinished delivery is retried later with the same webhook-id, so receivers can dedupe it.
    if (this.lifecycle && !(await this.lifecycle.closesWithin(this.queue.shutdownTimeoutMs))) {
      this.logger.warn('Webhook deliveries still running at shutdown; they will be retried');
    }
  }
}
