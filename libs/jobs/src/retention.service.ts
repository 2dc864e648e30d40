import { type StorageConfig, storageConfig } from '@app/config';
import { JobsRepository } from '@app/database';
import { MediaStorage } from '@app/storage';
import { Inject, Injectable, Logger } from '@nestjs/common';

export interface RetentionReport {
  expired: number;
  deleted: number;
}

const DAY_MS = 86_400_000;
const BATCH = 200;

/**
 * Deletes the media of jobs that ended more than RETENTION_DAYS ago (the job then says its
 * outputs expired) and, with RETENTION_DELETE_JOBS, the job rows too. Idempotent, so overlapping
 * runs do no harm; the worker schedules it once per interval across all replicas.
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    private readonly jobs: JobsRepository,
    private readonly storage: MediaStorage,
    @Inject(storageConfig.KEY) private readonly settings: StorageConfig,
  ) {}

  async purge(now = Date.now()): Promise<RetentionReport> {
    const { days, deleteJobs } = this.settings.retention;
    const report: RetentionReport = { expired: 0, deleted: 0 };
    if (days <= 0) return report;
    const cutoff = new Date(now - days * DAY_MS);
    for (let batch = await this.next(cutoff); batch.length > 0; batch = await this.next(cutoff)) {
      for (const job of batch) {
        await this.storage.removeAll(job.id);
        await this.jobs.expireOutputs(job.id);
        report.expired += 1;
      }
    }
    if (deleteJobs) report.deleted = await this.jobs.deleteEndedBefore(cutoff);
    if (report.expired || report.deleted) this.logger.log(report, 'Retention removed old media');
    return report;
  }

  private next(cutoff: Date) {
    return this.jobs.findWithMediaEndedBefore(cutoff, BATCH);
  }
}
