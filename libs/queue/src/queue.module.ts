import { type QueueConfig, queueConfig } from '@app/config';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { GENERATION_QUEUE } from './generation-queue';
import { GenerationQueueProducer } from './generation-queue.producer';
import { JobSignals } from './job-signals';
import { QueueRedis } from './queue-redis';
import { SubmitRateLimiter } from './submit-rate-limiter';

@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [queueConfig.KEY],
      useFactory: (queue: QueueConfig) => ({
        connection: { url: queue.redisUrl },
        prefix: queue.prefix,
      }),
    }),
    BullModule.registerQueue({ name: GENERATION_QUEUE }),
  ],
  providers: [GenerationQueueProducer, QueueRedis, JobSignals, SubmitRateLimiter],
  exports: [BullModule, GenerationQueueProducer, JobSignals, SubmitRateLimiter],
})
export class QueueModule {}
