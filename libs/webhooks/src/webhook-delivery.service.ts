import { type WebhooksConfig, webhooksConfig } from '@app/config';
import { WebhookDeliveriesRepository, type WebhookDeliveryEntity } from '@app/database';
import { DestinationRefusedError } from '@app/egress';
import { WebhookQueueProducer } from '@app/queue';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { WebhookSender } from './webhook-sender';
import { signatureHeader } from './webhook-signature';

export interface DeliveryContext {
  /** Attempts made before this one. */
  attemptsMade: number;
  isLast: boolean;
}

/** A delivery that must not be tried again (its destination is refused, or gone for good). */
export class WebhookAbandonedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookAbandonedError';
  }
}

/** Sends one delivery, signed per Standard Webhooks, and records how it went. */
@Injectable()
export class WebhookDeliveryService {
  private readonly logger = new Logger(WebhookDeliveryService.name);

  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly queue: WebhookQueueProducer,
    private readonly sender: WebhookSender,
    @Inject(webhooksConfig.KEY) private readonly config: WebhooksConfig,
  ) {}

  /** Resolves once delivered; throws (to be retried by the queue) when the receiver did not take it. */
  async deliver(deliveryId: string, context: DeliveryContext): Promise<void> {
    const delivery = await this.deliveries.findById(deliveryId);
    if (delivery?.status !== 'pending') return;
    let statusCode: number;
    try {
      statusCode = await this.sender.send(this.signed(delivery));
    } catch (error) {
      const refused = error instanceof DestinationRefusedError;
      await this.recordFailure(delivery, context, null, refused ? error.message : describe(error), refused);
      throw refused ? new WebhookAbandonedError(error.message) : error;
    }
    if (statusCode >= 200 && statusCode < 300) {
      await this.deliveries.recordAttempt(delivery.id, {
        status: 'delivered',
        statusCode,
        error: null,
        nextAttemptAt: null,
      });
      this.logger.log({ jobId: delivery.jobId, deliveryId, event: delivery.event, statusCode }, 'Webhook delivered');
      return;
    }
    const gone = statusCode === 410;
    await this.recordFailure(delivery, context, statusCode, `The receiver answered ${statusCode}`, gone);
    throw gone
      ? new WebhookAbandonedError('The receiver answered 410 Gone')
      : new Error(`Receiver answered ${statusCode}`);
  }

  private signed(delivery: WebhookDeliveryEntity) {
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      type: delivery.event === 'start' ? 'job.started' : 'job.completed',
      timestamp: new Date(timestamp * 1000).toISOString(),
      data: delivery.payload,
    });
    // The delivery id is the message id: retries of one delivery carry the same id, so receivers can dedupe.
    const id = `msg_${delivery.id}`;
    return {
      url: delivery.url,
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'mediagen-webhooks/1',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(this.config.secrets, id, timestamp, body),
      },
    };
  }

  private async recordFailure(
    delivery: WebhookDeliveryEntity,
    context: DeliveryContext,
    statusCode: number | null,
    error: string,
    abandoned: boolean,
  ): Promise<void> {
    const final = abandoned || context.isLast;
    await this.deliveries.recordAttempt(delivery.id, {
      status: final ? 'failed' : 'pending',
      statusCode,
      error,
      nextAttemptAt: final ? null : this.queue.nextAttemptAt(context.attemptsMade),
    });
    this.logger.warn(
      { jobId: delivery.jobId, deliveryId: delivery.id, statusCode, error, final },
      'Webhook not delivered',
    );
  }
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const name = (error as { name?: unknown }).name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'The receiver did not answer in time';
  return typeof code === 'string' ? `Could not reach the receiver (${code})` : 'Could not reach the receiver';
}
