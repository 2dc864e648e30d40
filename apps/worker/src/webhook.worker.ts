import { type QueueConfig, queueConfig } from '@app/config';
import {
  logRedisError,
  redisConnectionOptions,
  WEBHOOK_QUEUE,
  type WebhookJobData,
  WebhookQueueProducer,
  WebhookRetryError,
} from '@app/queue';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Worker } from 'bullmq';
import { settlesWithin } from './settles-within';
import { WebhookProcessor } from './webhook.processor';

/** Deliveries run at once per worker process; each mostly waits on a receiver. */
const DELIVERY_CONCURRENCY = 16;

/** Owns the BullMQ worker that delivers webhooks; stops within WORKER_SHUTDOWN_TIMEOUT_MS. */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookWorker.name);
  private worker?: Worker<WebhookJobData>;

  constructor(
    private readonly processor: WebhookProcessor,
    private readonly webhooks: WebhookQueueProducer,
    @Inject(queueConfig.KEY) private readonly queue: QueueConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.worker = new Worker<WebhookJobData>(WEBHOOK_QUEUE, (job) => this.processor.process(job), {
      connection: redisConnectionOptions(this.queue.redis),
      prefix: this.queue.prefix,
      autorun: false,
      concurrency: DELIVERY_CONCURRENCY,
      settings: {
        // A failed delivery carries the delay its row already shows; anything else backs off alike.
        backoffStrategy: (attemptsMade, _type, error) =>
          error instanceof WebhookRetryError ? error.delayMs : this.webhooks.retryDelayMs(attemptsMade - 1),
      },
    });
    this.worker.on('error', (error) => logRedisError(this.logger, 'Webhook worker error', error));
    await this.worker.waitUntilReady();
    void this.worker.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    // An unfinished delivery is retried later with the same webhook-id, so receivers can dedupe it.
    if (this.worker && !(await settlesWithin(this.worker.close(), this.queue.shutdownTimeoutMs))) {
      this.logger.warn('Webhook deliveries still running at shutdown; they will be retried');
    }
  }
}
