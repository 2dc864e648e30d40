import { type QueueConfig, queueConfig } from '@app/config';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { GENERATION_QUEUE, type GenerationJobData, generationJobOptions } from './generation-queue';

/** The one typed way to put work on the generation queue. */
@Injectable()
export class GenerationQueueProducer {
  constructor(
    @InjectQueue(GENERATION_QUEUE) private readonly queue: Queue<GenerationJobData>,
    @Inject(queueConfig.KEY) private readonly config: QueueConfig,
  ) {}

  /** Enqueues the row `jobId` under the same BullMQ job id, so enqueueing twice is harmless. */
  async enqueue(jobId: string, attempts: number): Promise<void> {
    const options = generationJobOptions(attempts, this.config.backoffMs);
    await this.queue.add('generate', { jobId }, { ...options, jobId });
  }
}
