import { DatabaseModule } from '@app/database';
import { QueueModule } from '@app/queue';
import { Module } from '@nestjs/common';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookSecrets } from './webhook-secrets';

@Module({
  imports: [DatabaseModule, QueueModule],
  providers: [WebhookDispatcher, WebhookDeliveryService, WebhookSecrets],
  exports: [WebhookDispatcher, WebhookDeliveryService, WebhookSecrets],
})
export class WebhooksModule {}
