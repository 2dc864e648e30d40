import { type QueueConfig, queueConfig } from '@app/config';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { GENERATION_QUEUE, MAINTENANCE_QUEUE } from './generation-queue';
import { GenerationQueueProducer } from './generation-queue.producer';
import { JobSignals } from './job-signals';
import { QueueErrorListeners } from './queue-error-listeners';
import { QueueRedis, redisConnectionOptions } from './queue-redis';
import { WEBHOOK_QUEUE, WebhookQueueProducer } from './webhook-queue';

@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [queueConfig.KEY],
      useFactory: (queue: QueueConfig) => ({
        connection: redisConnectionOptions(queue.redis),
        prefix: queue.prefix,
      }),
    }),
    BullModule.registerQueue({ name: GENERATION_QUEUE }, { name: WEBHOOK_QUEUE }, { name: MAINTENANCE_QUEUE }),
  ],
  providers: [GenerationQueueProducer, QueueErrorListeners, QueueRedis, JobSignals, WebhookQueueProducer],
  exports: [BullModule, GenerationQueueProducer, QueueRedis, JobSignals, WebhookQueueProducer],
})
export class QueueModule {}
