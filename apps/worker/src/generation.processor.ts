import { type QueueConfig, queueConfig } from '@app/config';
import {
  AttemptCanceledError,
  AttemptFailedError,
  AttemptInterruptedError,
  decideOutageWait,
  GenerationService,
  InfrastructureUnavailableError,
} from '@app/jobs';
import { type GenerationJobData, GenerationQueueProducer } from '@app/queue';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';

/**
 * Adapts a BullMQ job to the generation use case and maps its outcome to BullMQ. Finality comes
 * from the job's row, never from BullMQ's try count (set out of reach): a failure the row records
 * as final ends the job (UnrecoverableError); any other is retried with backoff; an outage, a
 * shutdown or upstream throttling puts the job back without using a try or an attempt.
 */
@Injectable()
export class GenerationProcessor {
  private readonly logger = new Logger(GenerationProcessor.name);

  constructor(
    private readonly generation: GenerationService,
    private readonly queue: GenerationQueueProducer,
    @Inject(queueConfig.KEY) private readonly config: QueueConfig,
  ) {}

  async process(job: Job<GenerationJobData>, token?: string, signal?: AbortSignal): Promise<void> {
    const { jobId, outage } = job.data;
    let outcome: unknown;
    try {
      await this.generation.runAttempt(jobId, { signal, unrecordedAttempt: outage?.unrecordedAttempt });
    } catch (error) {
      outcome = error;
    }
    if (outcome instanceof InfrastructureUnavailableError) return this.waitOutOutage(job, outcome, token);
    // The outage is over (the attempt ran): a later one starts counting afresh.
    if (outage) await job.updateData({ jobId });
    if (outcome === undefined || outcome instanceof AttemptCanceledError) return;
    if (outcome instanceof AttemptInterruptedError) {
      // Shutdown: back to the queue at once for another worker.
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    if (!(outcome instanceof AttemptFailedError)) throw outcome;
    if (outcome.failure.retryAfterMs !== undefined) {
      // Upstream throttling holds back the whole queue, on every replica, without using an attempt.
      await this.queue.rateLimit(outcome.failure.retryAfterMs);
      throw Worker.RateLimitError();
    }
    if (outcome.final) throw new UnrecoverableError(outcome.message);
    throw outcome;
  }

  /** PostgreSQL or Redis is down: the job checks back later, until the outage outlasts its ceiling. */
  private async waitOutOutage(
    job: Job<GenerationJobData>,
    error: InfrastructureUnavailableError,
    token?: string,
  ): Promise<never> {
    const { jobId, outage } = job.data;
    const decision = decideOutageWait(
      outage,
      error.unrecordedAttempt,
      Date.now(),
      this.config.infrastructureOutageMaxMs,
    );
    if (decision.giveUp) {
      this.logger.error({ jobId, since: outage?.since }, 'Job failed: the infrastructure outage outlasted its ceiling');
      await this.generation.failUnavailable(jobId).catch((failure: unknown) => {
        // Still down: the sweep finds the row once PostgreSQL is back and queues it again.
        this.logger.warn({ jobId, reason: (failure as Error).message }, 'Could not record the failure');
      });
      throw new UnrecoverableError('infrastructure_unavailable');
    }
    const { wait, delayMs } = decision;
    this.logger.warn(
      {
        jobId,
        check: wait.checks,
        retryInMs: delayMs,
        unrecordedAttempt: wait.unrecordedAttempt,
        reason: error.message,
      },
      'PostgreSQL or Redis unavailable; the job waits without using an attempt',
    );
    await job.updateData({ jobId, outage: wait });
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  }
}
