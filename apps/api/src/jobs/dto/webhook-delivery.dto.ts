import { DELIVERY_STATUSES, type DeliveryStatus, type WebhookDeliveryEntity } from '@app/jobs';
import { ApiProperty } from '../../http/openapi-decorators';

export class WebhookDelivery {
  @ApiProperty({ format: 'uuid', description: 'Also the `webhook-id` (prefixed `msg_`) every attempt carries' })
  id: string;

  @ApiProperty({ enum: ['start', 'completed'], enumName: 'WebhookEvent', example: 'completed' })
  event: string;

  @ApiProperty({ format: 'uri', example: 'https://example.com/hooks/mediagen' })
  url: string;

  @ApiProperty({ enum: DELIVERY_STATUSES, enumName: 'DeliveryStatus', example: 'delivered' })
  status: DeliveryStatus;

  @ApiProperty({ type: 'integer', description: 'Attempts made so far', example: 1 })
  attempts: number;

  @ApiProperty({ type: 'integer', nullable: true, description: "The receiver's last status code", example: 200 })
  lastStatusCode: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why the last attempt failed' })
  lastError: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the next attempt runs' })
  nextAttemptAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deliveredAt: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class WebhookDeliveryList {
  @ApiProperty({ type: [WebhookDelivery] })
  data: WebhookDelivery[];
}

export function toWebhookDelivery(delivery: WebhookDeliveryEntity): WebhookDelivery {
  return {
    id: delivery.id,
    event: delivery.event,
    url: delivery.url,
    status: delivery.status,
    attempts: delivery.attempts,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null,
    deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
    createdAt: delivery.createdAt.toISOString(),
  };
}
