import { JobsRepository, WebhookDeliveriesRepository, type WebhookDeliveryEntity } from '@app/database';
import { DestinationRefusedError } from '@app/egress';
import { WebhookQueueProducer, WebhookRetryError } from '@app/queue';
import { Injectable, Logger } from '@nestjs/common';
import { WebhookSecrets } from './webhook-secrets';
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

/**
 * The body a receiver gets, signed at `timestamp` (Unix seconds): a Standard Webhooks event
 * (`type`, `timestamp`, the job as `data`), or, for jobs made through the Replicate-compatible
 * routes, the prediction itself, as Replicate sends it.
 */
export function deliveryBody(
  delivery: Pick<WebhookDeliveryEntity, 'event' | 'payload'>,
  payload: 'job' | 'prediction' | undefined,
  timestamp: number,
): string {
  if (payload === 'prediction') return JSON.stringify(delivery.payload);
  return JSON.stringify({
    type: delivery.event === 'start' ? 'job.started' : 'job.completed',
    timestamp: new Date(timestamp * 1000).toISOString(),
    data: delivery.payload,
  });
}

/** Sends one delivery, signed per Standard Webhooks, and records how it went. */
@Injectable()
export class WebhookDeliveryService {
  private readonly logger = new Logger(WebhookDeliveryService.name);

  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly queue: WebhookQueueProducer,
    private readonly sender: WebhookSender,
    private readonly jobs: JobsRepository,
    private readonly secrets: WebhookSecrets,
  ) {}

  /**
   * Resolves once delivered. Throws WebhookRetryError (carrying the delay until the next attempt)
   * when the receiver did not take it, WebhookAbandonedError when no attempt is to follow.
   */
  async deliver(deliveryId: string, context: DeliveryContext): Promise<void> {
    const delivery = await this.deliveries.findById(deliveryId);
    if (delivery?.status !== 'pending') return;
    // Signed with the secrets of the job's owner, so no other tenant can forge or verify it.
    const job = await this.jobs.findById(delivery.jobId);
    if (!job) return;
    let statusCode: number;
    try {
      statusCode = await this.sender.send(
        this.signed(delivery, job.webhook?.payload, this.secrets.signingSecrets(job.owner)),
      );
    } catch (error) {
      const refused = error instanceof DestinationRefusedError;
      throw await this.recordFailure(delivery, context, null, refused ? error.message : describe(error), refused);
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
    throw await this.recordFailure(
      delivery,
      context,
      statusCode,
      `The receiver answered ${statusCode}`,
      statusCode === 410,
    );
  }

  private signed(delivery: WebhookDeliveryEntity, payload: 'job' | 'prediction' | undefined, secrets: string[]) {
    const timestamp = Math.floor(Date.now() / 1000);
    const body = deliveryBody(delivery, payload, timestamp);
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
        'webhook-signature': signatureHeader(secrets, id, timestamp, body),
      },
    };
  }

  private async recordFailure(
    delivery: WebhookDeliveryEntity,
    context: DeliveryContext,
    statusCode: number | null,
    error: string,
    abandoned: boolean,
  ): Promise<Error> {
    const final = abandoned || context.isLast;
    const delayMs = this.queue.retryDelayMs(context.attemptsMade);
    await this.deliveries.recordAttempt(delivery.id, {
      status: final ? 'failed' : 'pending',
      statusCode,
      error,
      nextAttemptAt: final ? null : new Date(Date.now() + delayMs),
    });
    this.logger.warn(
      { jobId: delivery.jobId, deliveryId: delivery.id, statusCode, error, final },
      'Webhook not delivered',
    );
    return abandoned ? new WebhookAbandonedError(error) : new WebhookRetryError(error, delayMs);
  }
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const name = (error as { name?: unknown }).name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'The receiver did not answer in time';
  return typeof code === 'string' ? `Could not reach the receiver (${code})` : 'Could not reach the receiver';
}
