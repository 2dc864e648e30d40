import { DatabaseModule } from '@app/database';
import { QueueModule } from '@app/queue';
import { Module } from '@nestjs/common';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhookDispatcher } from './webhook-dispatcher.service';

@Module({
  imports: [DatabaseModule, QueueModule],
  providers: [WebhookDispatcher, WebhookDeliveryService],
  exports: [WebhookDispatcher, WebhookDeliveryService],
})
export class WebhooksModule {}
