export { type DeliveryContext, WebhookAbandonedError, WebhookDeliveryService } from './webhook-delivery.service';
export { WebhookDispatcher, type WebhookEvent } from './webhook-dispatcher.service';
export {
  type ReadableSecrets,
  SharedSecretNotServedError,
  WebhookSecrets,
  WebhooksDisabledError,
} from './webhook-secrets';
export { signatureHeader } from './webhook-signature';
export { WebhooksModule } from './webhooks.module';
