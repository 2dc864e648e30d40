import { type QueueConfig, queueConfig } from '@app/config';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { GENERATION_QUEUE } from './generation-queue';
import { GenerationQueueProducer } from './generation-queue.producer';

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
  providers: [GenerationQueueProducer],
  exports: [BullModule, GenerationQueueProducer],
})
export class QueueModule {}
