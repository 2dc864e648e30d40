import { type QueueConfig, queueConfig, type StorageConfig, storageConfig } from '@app/config';
import { RetentionService } from '@app/jobs';
import { MAINTENANCE_QUEUE } from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { QueueWorker, type WorkerPlan } from './queue-worker';

const RETENTION_SCHEDULER = 'retention';

/**
 * Runs retention every RETENTION_INTERVAL_MS through a BullMQ job scheduler: every replica
 * upserts the same scheduler, and each tick is one job that one worker takes.
 */
@Injectable()
export class RetentionWorker extends QueueWorker<unknown> {
  constructor(
    private readonly retention: RetentionService,
    @InjectQueue(MAINTENANCE_QUEUE) private readonly queue: Queue,
    @Inject(queueConfig.KEY) queueSettings: QueueConfig,
    @Inject(storageConfig.KEY) private readonly storage: StorageConfig,
  ) {
    super(queueSettings);
  }

  protected async plan(): Promise<WorkerPlan<unknown> | undefined> {
    if (this.storage.retention.days <= 0) {
      await this.queue.removeJobScheduler(RETENTION_SCHEDULER);
      return undefined;
    }
    await this.schedule(this.storage.retention.intervalMs);
    return { queueName: MAINTENANCE_QUEUE, processor: () => this.retention.purge(), options: { concurrency: 1 } };
  }

  /**
   * BullMQ keeps a scheduler's first offset when `every` changes, which can put the next run far
   * beyond the new interval; a changed schedule is therefore made anew.
   */
  private async schedule(everyMs: number): Promise<void> {
    const existing = await this.queue.getJobScheduler(RETENTION_SCHEDULER);
    const stale = existing && (Number(existing.every) !== everyMs || Number(existing.next) > Date.now() + everyMs);
    if (stale) await this.queue.removeJobScheduler(RETENTION_SCHEDULER);
    await this.queue.upsertJobScheduler(RETENTION_SCHEDULER, { every: everyMs });
  }

  protected async shutdownTimedOut(): Promise<void> {
    this.logger.warn('Retention still running at shutdown; the next run purges what it left');
  }
}
