import { type QueueConfig, queueConfig } from '@app/config';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { GENERATION_QUEUE, type GenerationJobData, generationJobOptions } from './generation-queue';
import { isLive, queueAgain } from './queue-again';
import { QueueRedis } from './queue-redis';
import { settlesWithin } from './settles-within';

/** How far from the front of the waiting list a job is looked for; further back its position is unknown. */
const POSITION_SCAN_MAX = 10_000;
/** Queue positions are a nicety: past this wait for Redis they are left unknown. */
const POSITION_TIMEOUT_MS = 250;

/** The one typed way to put work on the generation queue and ask about it. */
@Injectable()
export class GenerationQueueProducer {
  private readonly logger = new Logger(GenerationQueueProducer.name);

  constructor(
    @InjectQueue(GENERATION_QUEUE) private readonly queue: Queue<GenerationJobData>,
    @Inject(queueConfig.KEY) private readonly config: QueueConfig,
    private readonly redis: QueueRedis,
  ) {}

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

  /**
   * How many jobs wait ahead of each of `jobIds` in BullMQ's waiting list (workers take from its
   * end), for those found there. Approximate: the list moves while it is read, and a job waiting
   * for a retry (delayed) or not yet enqueued has no position. Best effort: empty when Redis is
   * unavailable or slow.
   */
  async queuePositions(jobIds: readonly string[]): Promise<Map<string, number>> {
    const positions = new Map<string, number>();
    if (jobIds.length === 0) return positions;
    const wait = this.queue.keys.wait;
    const pipeline = this.redis.client.pipeline().llen(wait);
    for (const jobId of jobIds) pipeline.lpos(wait, jobId, 'RANK', -1, 'MAXLEN', POSITION_SCAN_MAX);
    const reading = pipeline.exec().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'Could not read queue positions');
      return null;
    });
    const results = (await settlesWithin(reading, POSITION_TIMEOUT_MS)) ? await reading : null;
    if (!results) return positions;
    const [[, length], ...found] = results as [Error | null, number | null][];
    found.forEach(([, index], at) => {
      if (typeof index === 'number' && typeof length === 'number') positions.set(jobIds[at], length - 1 - index);
    });
    return positions;
  }

  /** Holds every worker back for `delayMs` (an upstream throttled us). */
  async rateLimit(delayMs: number): Promise<void> {
    await this.queue.rateLimit(delayMs);
  }
}
