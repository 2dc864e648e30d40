import { type AppConfig, appConfig } from '@app/config';
import { type JobEntity, JobsRepository } from '@app/database';
import { GenerationQueueProducer, JobSignals } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import { CoalescedReads } from './coalesced-reads';
import { JobEvents } from './job-events.service';
import { isTerminal, statusesLeadingTo } from './job-lifecycle';
import { JobNotCancelableError, JobNotFoundError } from './jobs.errors';
import { WaitSlots } from './wait-slots';

/** The longest a request may wait for a job to finish. */
export const MAX_WAIT_SECONDS = 60;

/** Final reads of a job asked for this close together share one query. */
const FINAL_READ_WINDOW_MS = 20;

export interface WaitOutcome {
  job: JobEntity;
  /** False when a wait cap was reached and the job is answered as it is, without waiting. */
  honoured: boolean;
}

/** Acting on a job after submit: canceling it, and waiting for it to finish. */
@Injectable()
export class JobControlService {
  private readonly waitSlots: WaitSlots;
  private readonly finalReads = new CoalescedReads((id) => this.jobs.findById(id), FINAL_READ_WINDOW_MS);

  constructor(
    private readonly jobs: JobsRepository,
    private readonly queue: GenerationQueueProducer,
    private readonly signals: JobSignals,
    private readonly events: JobEvents,
    @Inject(appConfig.KEY) app: AppConfig,
  ) {
    this.waitSlots = new WaitSlots(app.waitLimits);
  }

  /**
   * Cancels a queued or processing job. The row changes first (so no attempt can record an
   * outcome after it); then a queued job leaves the queue, and a running one is stopped on
   * whichever worker runs it, which also cancels its upstream prediction and removes its files.
   */
  async cancel(id: string, owner: string): Promise<JobEntity> {
    const job = await this.owned(id, owner);
    // Stryker disable next-line ConditionalExpression,CallExpression: the guarded update below refuses an ended job too, and the refusal then names the same status; this check only spares the write
    if (isTerminal(job.status)) throw new JobNotCancelableError(id, job.status);
    const canceled = await this.jobs.changeIf(
      id,
      { from: statusesLeadingTo('canceled') },
      { status: 'canceled', markCompleted: true },
    );
    if (!canceled) throw new JobNotCancelableError(id, (await this.owned(id, owner)).status);
    await this.queue.discardWaiting(id);
    await this.signals.requestCancel(id);
    await this.events.finished(canceled);
    return canceled;
  }

  /**
   * The job once it is terminal, or as it is after `seconds`. Waits on the finish signal other
   * processes publish, not by polling PostgreSQL; the row is read before and after. Past a wait
   * cap (WAIT_MAX_PER_KEY, WAIT_MAX_TOTAL) the job is returned at once, not honoured.
   */
  async waitUntilFinished(id: string, owner: string, seconds: number): Promise<WaitOutcome> {
    const job = await this.owned(id, owner);
    if (isTerminal(job.status) || seconds <= 0) return { job, honoured: true };
    const release = this.waitSlots.tryTake(owner);
    if (!release) return { job, honoured: false };
    try {
      const finish = await this.signals.nextFinish(id);
      const timer = setTimeout(finish.stop, Math.min(seconds, MAX_WAIT_SECONDS) * 1000);
      try {
        // Subscribed first, then read again: a finish between the two reads is not missed.
        if (!isTerminal((await this.owned(id, owner)).status)) await finish.done;
      } finally {
        clearTimeout(timer);
        finish.stop();
      }
    } finally {
      release();
    }
    const final = await this.finalReads.get(id);
    if (final?.owner !== owner) throw new JobNotFoundError(id);
    return { job: final, honoured: true };
  }

  /** A wait slot for `owner`, held by a job's event stream while it is open; null past a wait cap. */
  takeWaitSlot(owner: string): (() => void) | null {
    return this.waitSlots.tryTake(owner);
  }

  private async owned(id: string, owner: string): Promise<JobEntity> {
    const job = await this.jobs.findOwned(id, owner);
    if (!job) throw new JobNotFoundError(id);
    return job;
  }
}
