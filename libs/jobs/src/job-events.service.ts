import { type AppConfig, appConfig } from '@app/config';
import type { JobEntity } from '@app/database';
import { JobMetrics } from '@app/observability';
import { JobSignals } from '@app/queue';
import { WebhookDispatcher } from '@app/webhooks';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { presentJob } from './job-presenter';
import { PredictionPresenter } from './prediction-presenter';

/**
 * What happens when a job starts, changes or ends, beyond its row: waiting requests and event
 * streams are woken (on every api replica), metrics counted and webhook deliveries scheduled.
 * Best effort: the row is already the truth.
 */
@Injectable()
export class JobEvents {
  private readonly logger = new Logger(JobEvents.name);

  constructor(
    private readonly signals: JobSignals,
    private readonly webhooks: WebhookDispatcher,
    private readonly metrics: JobMetrics,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
    private readonly predictions: PredictionPresenter,
  ) {}

  async started(job: JobEntity): Promise<void> {
    await this.notify(job.id, () => this.webhooks.schedule(job, 'start', () => this.present(job)));
  }

  /**
   * The job's status or progress changed, short of an end (see `finished`). Sent without waiting
   * for Redis: listeners re-read the row, which is already written, and the job goes on meanwhile.
   */
  changed(jobId: string): void {
    void this.signals.announceChanged(jobId);
  }

  /** `job` is the row as the write that ended it returned it. */
  async finished(job: JobEntity): Promise<void> {
    void this.signals.announceFinished(job.id);
    await this.notify(job.id, async () => {
      this.metrics.jobFinished(job);
      await this.webhooks.schedule(job, 'completed', () => this.present(job));
    });
  }

  /** The body its webhook asked for: the job as the native API shows it, or as a Replicate prediction. */
  private present(job: JobEntity): Record<string, unknown> {
    if (job.webhook?.payload === 'prediction') return { ...this.predictions.present(job) };
    return { ...presentJob(job, this.app.publicBaseUrl) };
  }

  private async notify(jobId: string, send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (error) {
      this.logger.error({ jobId, err: error }, 'Could not schedule a job event');
    }
  }
}
