export { GENERATION_QUEUE, type GenerationJobData, generationJobOptions, MAINTENANCE_QUEUE } from './generation-queue';
export { GenerationQueueProducer } from './generation-queue.producer';
export { JobSignals } from './job-signals';
export { QueueModule } from './queue.module';
export { QueueRedis } from './queue-redis';
export { type RateLimitState, SubmitRateLimiter } from './submit-rate-limiter';
export { WEBHOOK_QUEUE, type WebhookJobData, WebhookQueueProducer, WebhookRetryError } from './webhook-queue';
