export {
  GENERATION_QUEUE,
  type GenerationJobData,
  generationJobOptions,
  MAINTENANCE_QUEUE,
  type OutageWait,
} from './generation-queue';
export { GenerationQueueProducer } from './generation-queue.producer';
export { JobSignals } from './job-signals';
export { QueueModule } from './queue.module';
export type { QueuedJob } from './queue-positions';
export { isRedisUnavailable, logRedisError, QueueRedis, reconnectDelayMs, redisConnectionOptions } from './queue-redis';
export { describeRedis, pingRedis } from './redis-preflight';
export { settlesWithin } from './settles-within';
export { WEBHOOK_QUEUE, type WebhookJobData, WebhookQueueProducer, WebhookRetryError } from './webhook-queue';
