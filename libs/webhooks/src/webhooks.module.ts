import { DatabaseModule } from '@app/database';
import { EgressModule } from '@app/egress';
import { QueueModule } from '@app/queue';
import { Module } from '@nestjs/common';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookSecrets } from './webhook-secrets';
import { WebhookSender } from './webhook-sender';

@Module({
  imports: [DatabaseModule, QueueModule, EgressModule],
  providers: [WebhookDispatcher, WebhookDeliveryService, WebhookSecrets, WebhookSender],
  exports: [WebhookDispatcher, WebhookDeliveryService, WebhookSecrets],
})
export class WebhooksModule {}
