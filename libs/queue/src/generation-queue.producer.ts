import { type QueueConfig, queueConfig } from '@app/config';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { GENERATION_QUEUE, type GenerationJobData, generationJobOptions } from './generation-queue';
import { isLive, queueAgain } from './queue-again';
import { type QueuedJob, QueuePositions } from './queue-positions';
import { QueueRedis } from './queue-redis';
import { redisWaitingList } from './redis-waiting-list';

/** The one typed way to put work on the generation queue and ask about it. */
@Injectable()
export class GenerationQueueProducer {
  private readonly logger = new Logger(GenerationQueueProducer.name);
  private readonly positions: QueuePositions;

  constructor(
    @InjectQueue(GENERATION_QUEUE) private readonly queue: Queue<GenerationJobData>,
    @Inject(queueConfig.KEY) private readonly config: QueueConfig,
    redis: QueueRedis,
  ) {
    const waiting = redisWaitingList(() => redis.client, queue.keys.wait);
    this.positions = new QueuePositions(waiting, (error) => {
      this.logger.warn({ err: error }, 'Could not read queue positions');
    });
  }

  /** Enqueues the row `jobId` under the same BullMQ job id, so enqueueing twice is harmless. */
  async enqueue(jobId: string): Promise<void> {
    const options = generationJobOptions(this.config.backoffMs);
    await this.queue.add('generate', { jobId }, { ...options, jobId });
  }

  /** Whether BullMQ still holds the job in a state from which it will run it. */
  isLive(jobId: string): Promise<boolean> {
    return isLive(this.queue, jobId);
  }

  /** Enqueues a job BullMQ no longer runs: it was lost (Redis data loss) or finished without the row following. */
  async requeue(jobId: string): Promise<void> {
    await queueAgain(this.queue, jobId, () => this.enqueue(jobId));
  }

  /** Removes the job from the queue if it is still waiting there (a running job is left alone). */
  async discardWaiting(jobId: string): Promise<void> {
    const job = await this.queue.getJob(jobId);
    if (!job || (await job.isActive())) return;
    await job.remove().catch((error: unknown) => {
      this.logger.warn({ jobId, err: error }, 'Could not remove a canceled job from the queue');
    });
  }

  /** How many jobs wait ahead of each of `jobs` that is found waiting (approximate; see QueuePositions). */
  queuePositions(jobs: readonly QueuedJob[]): Promise<Map<string, number>> {
    return this.positions.of(jobs);
  }

  /** Holds every worker back for `delayMs` (an upstream throttled us). */
  async rateLimit(delayMs: number): Promise<void> {
    await this.queue.rateLimit(delayMs);
  }
}
