import { type GeneratorConfig, generatorConfig } from '@app/config';
import {
  type JobChange,
  type JobEntity,
  type JobErrorRecord,
  type JobOutputRecord,
  JobsRepository,
} from '@app/database';
import { GenerationError, isCanceled, MediaGenerator } from '@app/generator';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { isInfrastructureUnavailable } from './infrastructure-outage';
import { JobEvents } from './job-events.service';
import { JobFiles } from './job-files.service';
import { isTerminal, statusesLeadingTo } from './job-lifecycle';
import {
  AttemptCanceledError,
  AttemptFailedError,
  type AttemptFailure,
  AttemptInterruptedError,
  InfrastructureUnavailableError,
  JobsError,
  OutputLimitExceededError,
} from './jobs.errors';
import { OutputBudget } from './output-budget';

export interface AttemptContext {
  /** Aborted when the worker shuts down or the job is canceled: the attempt is then handed back, not failed. */
  signal?: AbortSignal;
  /** An earlier attempt that began but could not record its outcome (an outage); settled first. */
  unrecordedAttempt?: number;
}

const ATTEMPTS_EXHAUSTED: JobErrorRecord = {
  code: 'attempts_exhausted',
  message: 'The last attempt was lost and no attempt is left',
  retryable: true,
};

const INFRASTRUCTURE_UNAVAILABLE: JobErrorRecord = {
  code: 'infrastructure_unavailable',
  message: 'PostgreSQL or Redis stayed unavailable for longer than the job may wait (JOB_INFRASTRUCTURE_OUTAGE_MAX_MS)',
  retryable: true,
};

/**
 * Runs one attempt of a job: generate, stage every output, claim the row, publish, record the
 * outcome. The row decides everything: an attempt counts once `beginAttempt` recorded it, only
 * the attempt the row names may write, and `failed` is written only when the error is permanent
 * or no attempt is left.
 */
@Injectable()
export class GenerationService {
  private readonly logger = new Logger(GenerationService.name);

  constructor(
    private readonly jobs: JobsRepository,
    private readonly generator: MediaGenerator,
    private readonly files: JobFiles,
    private readonly events: JobEvents,
    @Inject(generatorConfig.KEY) private readonly settings: GeneratorConfig,
  ) {}

  /**
   * Resolves when the attempt succeeded or had nothing to do (the job ended, has no attempt left,
   * or moved on to another attempt). Throws AttemptFailedError after recording a failure,
   * AttemptInterruptedError when a shutdown aborted it (the attempt is given back),
   * AttemptCanceledError when the job was canceled (its files are removed), and
   * InfrastructureUnavailableError when PostgreSQL or Redis could not serve it (no attempt used).
   */
  async runAttempt(jobId: string, context: AttemptContext = {}): Promise<void> {
    let attempt: number | undefined;
    try {
      if (context.unrecordedAttempt !== undefined) await this.settleUnrecorded(jobId, context.unrecordedAttempt);
      attempt = (await this.jobs.beginAttempt(jobId, statusesLeadingTo('processing'))) ?? undefined;
      if (attempt === undefined) await this.settleUnstartable(jobId);
      else await this.attempt(jobId, attempt, context.signal);
    } catch (error) {
      if (!(error instanceof JobsError) && isInfrastructureUnavailable(error)) {
        throw new InfrastructureUnavailableError(jobId, attempt, error);
      }
      throw error;
    }
  }

  /**
   * Fails a job that waited out an outage for longer than allowed. Unless the job ended or an
   * attempt claimed it meanwhile.
   */
  async failUnavailable(jobId: string): Promise<void> {
    const job = await this.jobs.findById(jobId);
    if (job && !isTerminal(job.status) && !isClaimed(job)) await this.failEnded(job, INFRASTRUCTURE_UNAVAILABLE);
  }

  /**
   * Finishes the publication of outputs an attempt claimed but did not publish (its worker died
   * after the claim): moves them into place and marks the job succeeded.
   */
  async completeClaim(job: JobEntity): Promise<boolean> {
    await this.files.publish(job.id, job.attempts, job.outputs);
    const succeeded = await this.recordChange(job.id, job.attempts, {
      status: 'succeeded',
      error: null,
      markCompleted: true,
    });
    if (succeeded) {
      this.logger.log({ jobId: job.id, attempt: job.attempts, outputs: job.outputs.length }, 'Attempt succeeded');
      await this.events.finished(job.id);
    } else if ((await this.jobs.findById(job.id))?.status === 'canceled') {
      await this.files.discardAll(job.id);
    }
    return succeeded;
  }

  private async attempt(jobId: string, attempt: number, signal?: AbortSignal): Promise<void> {
    const job = await this.jobs.findById(jobId);
    if (!job) return;
    this.logger.log({ jobId, attempt, model: job.model }, 'Attempt started');
    if (attempt === 1) await this.events.started(job);

    const unrecordedPrediction: { error?: unknown } = {};
    let outputs: JobOutputRecord[];
    try {
      outputs = await this.generate(job, attempt, unrecordedPrediction, signal);
    } catch (thrown) {
      // The row could not be written mid-attempt: an outage, not a failure of the generation.
      if (unrecordedPrediction.error !== undefined) throw unrecordedPrediction.error;
      const failure = await this.recordFailure(job, attempt, thrown, signal);
      if (failure) throw failure;
      return;
    }
    // The claim: from now on no other attempt can begin, and only this one publishes.
    const claimed = await this.recordChange(jobId, attempt, { status: 'processing', outputs });
    if (!claimed) return this.tidyAfterLoss(jobId, attempt);
    await this.completeClaim({ ...job, attempts: attempt, outputs });
  }

  private async generate(
    job: JobEntity,
    attempt: number,
    unrecordedPrediction: { error?: unknown },
    signal?: AbortSignal,
  ): Promise<JobOutputRecord[]> {
    const media = await this.generator.generate({
      jobId: job.id,
      attempt,
      model: job.model,
      prompt: job.prompt,
      input: job.input,
      predictionId: job.predictionId,
      recordPrediction: async (predictionId) => {
        try {
          await this.recordChange(job.id, attempt, { status: 'processing', predictionId });
        } catch (error) {
          unrecordedPrediction.error = error;
          throw error;
        }
      },
      signal,
    });
    const budget = new OutputBudget(this.settings.jobOutputs);
    try {
      budget.checkCount(media.length);
    } catch (error) {
      for (const item of media) item.content.destroy();
      throw error;
    }
    // Every save settles before the attempt moves on, so a failed one leaves no write behind
    // that could land after its staging is removed.
    const staged = await Promise.allSettled(
      media.map((item, index) => this.files.stage(job.id, attempt, index, item, budget)),
    );
    const failed = staged.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return staged.map((result) => (result as PromiseFulfilledResult<JobOutputRecord>).value);
  }

  /** Records why the attempt failed; returns the error for the queue to act on, or null if the job moved on. */
  private async recordFailure(
    job: JobEntity,
    attempt: number,
    thrown: unknown,
    signal?: AbortSignal,
  ): Promise<Error | null> {
    if (isCanceled(signal)) {
      // The api already marked the job canceled; what this attempt wrote goes too.
      await this.files.discardAll(job.id);
      this.logger.log({ jobId: job.id, attempt }, 'Attempt stopped: the job was canceled');
      return new AttemptCanceledError(job.id);
    }
    if (signal?.aborted) {
      this.logger.warn({ jobId: job.id, attempt }, 'Attempt interrupted by shutdown; handing the job back');
      await this.recordChange(job.id, attempt, { status: 'queued', attempts: attempt - 1 });
      await this.files.discardAttempt(job.id, attempt);
      return new AttemptInterruptedError(job.id);
    }
    const failure = describeFailure(thrown);
    const record = { code: failure.code, message: failure.message, retryable: failure.retryable };
    const throttled = failure.retryAfterMs !== undefined;
    const final = !failure.retryable || (attempt >= job.maxAttempts && !throttled);
    this.logger.warn(
      { jobId: job.id, attempt, code: failure.code, final, err: (thrown as Error)?.cause ?? thrown },
      'Attempt failed',
    );
    const recorded = await this.recordChange(
      job.id,
      attempt,
      final
        ? { status: 'failed', error: record, markCompleted: true }
        : // A throttled attempt never reached the generator, so it is given back.
          { status: 'queued', error: record, ...(throttled && { attempts: attempt - 1 }) },
    );
    if (!recorded) {
      await this.tidyAfterLoss(job.id, attempt);
      return null;
    }
    if (final) {
      await this.files.discardAll(job.id);
      await this.events.finished(job.id);
    } else {
      await this.files.discardAttempt(job.id, attempt);
    }
    return new AttemptFailedError(job.id, failure, final);
  }

  /**
   * Gives back an attempt that began but could not record its outcome, so it does not count, and
   * removes what it wrote. If its outcome was recorded after all (the database applied the write
   * but could not confirm it), that stands instead.
   */
  private async settleUnrecorded(jobId: string, attempt: number): Promise<void> {
    const job = await this.jobs.findById(jobId);
    if (!job) return;
    // Stryker disable next-line ConditionalExpression,LogicalOperator: the guarded update below checks status and attempt again; reading them here only spares a write that would not apply
    if (job.status === 'processing' && job.attempts === attempt && !isClaimed(job)) {
      const givenBack = await this.recordChange(jobId, attempt, { status: 'queued', attempts: attempt - 1 });
      if (givenBack) {
        this.logger.warn({ jobId, attempt }, 'Gave back an attempt whose outcome could not be recorded');
        await this.files.discardAttempt(jobId, attempt);
        return;
      }
    }
    await this.tidyAfterLoss(jobId, attempt);
  }

  /** The job could not begin an attempt: finish a claimed publication, end a job out of attempts, tidy files. */
  private async settleUnstartable(jobId: string): Promise<void> {
    const job = await this.jobs.findById(jobId);
    if (!job) return;
    if (isClaimed(job) && job.status === 'processing') await this.completeClaim(job);
    else if (isTerminal(job.status)) await this.tidyEnded(job);
    // A job delivered again after its last attempt was lost (say, its worker was killed) ends here.
    else if (job.attempts >= job.maxAttempts) await this.failEnded(job, ATTEMPTS_EXHAUSTED);
  }

  private async failEnded(job: JobEntity, error: JobErrorRecord): Promise<void> {
    const failed = await this.recordChange(job.id, job.attempts, { status: 'failed', error, markCompleted: true });
    if (!failed) return;
    this.logger.warn({ jobId: job.id, attempts: job.attempts, code: error.code }, 'Job failed');
    await this.files.discardAll(job.id);
    await this.events.finished(job.id);
  }

  /** After `attempt` lost the job: removes what it staged, unless the row still counts on it. */
  private async tidyAfterLoss(jobId: string, attempt: number): Promise<void> {
    const job = await this.jobs.findById(jobId);
    if (!job) return;
    if (isTerminal(job.status)) await this.tidyEnded(job);
    else if (!(isClaimed(job) && job.attempts === attempt)) await this.files.discardAttempt(jobId, attempt);
  }

  /** An ended job keeps only its published outputs: nothing at all unless it succeeded. */
  private async tidyEnded(job: JobEntity): Promise<void> {
    if (job.status === 'succeeded') await this.files.discardStaging(job.id);
    else await this.files.discardAll(job.id);
  }

  private async recordChange(jobId: string, attempt: number, change: JobChange): Promise<boolean> {
    const recorded = await this.jobs.updateIf(jobId, { from: statusesLeadingTo(change.status), attempt }, change);
    if (!recorded) this.logger.warn({ jobId, attempt, status: change.status }, 'Change not recorded: job moved on');
    return recorded;
  }
}

/** An attempt claimed the row with its outputs; only that attempt's publication may follow. */
function isClaimed(job: JobEntity): boolean {
  return job.outputs.length > 0;
}

function describeFailure(thrown: unknown): AttemptFailure {
  if (thrown instanceof OutputLimitExceededError) {
    return { code: thrown.code, message: thrown.message, retryable: false };
  }
  const error = GenerationError.from(thrown);
  return {
    code: error.code,
    message: error.message,
    retryable: error.retryable,
    ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
  };
}
