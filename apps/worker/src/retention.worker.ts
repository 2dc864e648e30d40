import { type QueueConfig, queueConfig, type StorageConfig, storageConfig } from '@app/config';
import { RetentionService } from '@app/jobs';
import { logRedisError, MAINTENANCE_QUEUE, redisConnectionOptions } from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type Queue, Worker } from 'bullmq';
import { settlesWithin } from './settles-within';

const RETENTION_SCHEDULER = 'retention';

/**
 * Runs retention every RETENTION_INTERVAL_MS through a BullMQ job scheduler: every replica
 * upserts the same scheduler, and each tick is one job that one worker takes.
 */
@Injectable()
export class RetentionWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RetentionWorker.name);
  private worker?: Worker;

  constructor(
    private readonly retention: RetentionService,
    @InjectQueue(MAINTENANCE_QUEUE) private readonly queue: Queue,
    @Inject(queueConfig.KEY) private readonly queueSettings: QueueConfig,
    @Inject(storageConfig.KEY) private readonly storage: StorageConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.storage.retention.days <= 0) {
      await this.queue.removeJobScheduler(RETENTION_SCHEDULER);
      return;
    }
    await this.schedule(this.storage.retention.intervalMs);
    this.worker = new Worker(MAINTENANCE_QUEUE, () => this.retention.purge(), {
      connection: redisConnectionOptions(this.queueSettings.redis),
      prefix: this.queueSettings.prefix,
      concurrency: 1,
    });
    this.worker.on('error', (error) => logRedisError(this.logger, 'Maintenance worker error', error));
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

  async beforeApplicationShutdown(): Promise<void> {
    if (this.worker) await settlesWithin(this.worker.close(), this.queueSettings.shutdownTimeoutMs);
  }
}
