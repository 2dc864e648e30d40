import { type WebhooksConfig, webhooksConfig } from '@app/config';
import { WebhookDeliveriesRepository } from '@app/database';
import { DestinationPolicy } from '@app/egress';
import { WebhookQueueProducer } from '@app/queue';
import { Inject, Injectable, Logger } from '@nestjs/common';

export type WebhookEvent = 'start' | 'completed';

export interface WebhookTarget {
  id: string;
  webhook: { url: string; events: string[] } | null;
}

/** Decides whether a job may have a webhook, and schedules its deliveries. */
@Injectable()
export class WebhookDispatcher {
  private readonly logger = new Logger(WebhookDispatcher.name);

  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly queue: WebhookQueueProducer,
    private readonly policy: DestinationPolicy,
    @Inject(webhooksConfig.KEY) private readonly config: WebhooksConfig,
  ) {}

  /** Why this webhook URL is not accepted at submit, or null when it is. */
  refuse(url: string): string | null {
    if (this.config.secrets.length === 0) return 'webhooks are not enabled on this server (WEBHOOK_SECRETS is unset)';
    const refusal = this.policy.refuse(url, { allowHttp: this.config.allowHttp });
    return refusal && `webhook ${refusal}`;
  }

  /**
   * Queues again pending deliveries whose queue entry was lost (Redis data loss, or Redis down
   * when they were scheduled). Safe to run from every replica: the delivery id is the job id.
   */
  async requeueStale(before: Date): Promise<number> {
    let requeued = 0;
    for (const delivery of await this.deliveries.findPendingUntouchedSince(before, 500)) {
      if (await this.queue.ensureQueued(delivery.id)) requeued += 1;
    }
    return requeued;
  }

  /**
   * Records the event with the job as it is now and queues its delivery; each (job, event) is
   * delivered at most once, however often this is called. `payload` is built only when the job
   * subscribed to the event (most jobs have no webhook).
   */
  async schedule(job: WebhookTarget, event: WebhookEvent, payload: () => Record<string, unknown>): Promise<void> {
    if (!job.webhook?.events.includes(event)) return;
    const delivery = await this.deliveries.insertOnce({
      jobId: job.id,
      event,
      url: job.webhook.url,
      payload: payload(),
    });
    if (!delivery) return;
    await this.queue.enqueue(delivery.id).catch((error: unknown) => {
      this.logger.error({ jobId: job.id, deliveryId: delivery.id, err: error }, 'Could not queue a webhook delivery');
    });
  }
}
