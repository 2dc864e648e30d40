import { type QueueConfig, queueConfig } from '@app/config';
import { type JobEntity, JobsRepository } from '@app/database';
import { GenerationQueueProducer } from '@app/queue';
import { WebhookDispatcher } from '@app/webhooks';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ATTEMPT_LOST, isFinalAttempt } from './attempt-policy';
import { GenerationService } from './generation.service';
import { isClaimed, statusesLeadingTo } from './job-lifecycle';

export interface SweepReport {
  checked: number;
  requeued: number;
  failed: number;
  /** Outputs an older release's attempt claimed, then died before publishing, published now. */
  published: number;
  deliveriesRequeued: number;
}

/** Rows checked per status in one sweep; a larger backlog is worked through over several sweeps. */
const BATCH = 500;

/**
 * PostgreSQL is the truth about jobs; this brings the queue back in line with it. It finds jobs
 * that are `queued` or `processing` in the database but that BullMQ no longer runs (Redis lost
 * its data, an enqueue failed after the row was committed, an attempt's worker died) and queues
 * them again, or fails them when no attempt is left. Every step is idempotent and guarded, so
 * all worker replicas may sweep at the same time.
 */
@Injectable()
export class ReconciliationService {
  private readonly logger = new Logger(ReconciliationService.name);

  constructor(
    private readonly jobs: JobsRepository,
    private readonly queue: GenerationQueueProducer,
    private readonly generation: GenerationService,
    private readonly webhooks: WebhookDispatcher,
    @Inject(queueConfig.KEY) private readonly settings: QueueConfig,
  ) {}

  async sweep(now = Date.now()): Promise<SweepReport> {
    const { queuedAgeMs, processingAgeMs } = this.settings.sweep;
    const candidates = [
      ...(await this.jobs.findUntouchedSince('queued', new Date(now - queuedAgeMs), BATCH)),
      ...(await this.jobs.findUntouchedSince('processing', new Date(now - processingAgeMs), BATCH)),
    ];
    const report: SweepReport = {
      checked: candidates.length,
      requeued: 0,
      failed: 0,
      published: 0,
      deliveriesRequeued: 0,
    };
    for (const candidate of candidates) {
      if (await this.queue.isLive(candidate.id)) continue;
      // Read the row again: the job may have finished between the two reads, and then BullMQ
      // rightly holds it no more.
      const job = await this.jobs.findById(candidate.id);
      if (!job || job.status !== candidate.status || job.attempts !== candidate.attempts) continue;
      const outcome = await this.recover(job);
      if (outcome) report[outcome] += 1;
    }
    report.deliveriesRequeued = await this.webhooks.requeueStale(new Date(now - queuedAgeMs));
    if (report.requeued || report.failed || report.published || report.deliveriesRequeued) {
      this.logger.warn(report, 'Sweep recovered work the queue had lost');
    }
    return report;
  }

  private async recover(job: JobEntity): Promise<'requeued' | 'failed' | 'published' | null> {
    // The claiming attempt died: only publishing its outputs may follow.
    if (isClaimed(job)) {
      return (await this.generation.completeClaim(job)) ? 'published' : null;
    }
    const lastAttempt = isFinalAttempt(job.attempts, job.maxAttempts);
    if (job.status === 'processing') {
      // Nobody holds this attempt any more: end it as lost, then retry or fail per the policy.
      if (lastAttempt) return (await this.generation.failExhausted(job)) ? 'failed' : null;
      const givenBack = await this.jobs.updateIf(
        job.id,
        { from: statusesLeadingTo('queued'), attempt: job.attempts },
        { status: 'queued' },
      );
      if (!givenBack) return null;
      await this.jobs.closeAttempt(job.id, job.attempts, ATTEMPT_LOST).catch((error: unknown) => {
        this.logger.warn({ jobId: job.id, err: error }, 'Could not close the lost attempt in its history');
      });
    }
    if (lastAttempt) return null;
    await this.queue.requeue(job.id);
    this.logger.warn(
      { jobId: job.id, status: job.status, attempts: job.attempts },
      'Requeued a job the queue had lost',
    );
    return 'requeued';
  }
}
