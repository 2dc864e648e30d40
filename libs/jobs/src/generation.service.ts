import { type GeneratorConfig, generatorConfig } from '@app/config';
import {
  type JobChange,
  type JobEntity,
  type JobErrorRecord,
  type JobOutputRecord,
  type JobOutputShape,
  JobsRepository,
} from '@app/database';
import { type Generation, GenerationError, isCanceled, MediaGenerator } from '@app/generator';
import { BoundLogger } from '@app/observability';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ATTEMPTS_EXHAUSTED, isFinalAttempt } from './attempt-policy';
import { isInfrastructureUnavailable } from './infrastructure-outage';
import { JobEvents } from './job-events.service';
import { JobFiles } from './job-files.service';
import { isClaimed, isTerminal, statusesLeadingTo } from './job-lifecycle';
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
import { ProgressThrottle } from './progress-throttle';

export interface AttemptContext {
  /** Aborted when the worker shuts down or the job is canceled: the attempt is then handed back, not failed. */
  signal?: AbortSignal;
  /** An earlier attempt that began but could not record its outcome (an outage); settled first. */
  unrecordedAttempt?: number;
}

/** One attempt of one job, with a logger bound to both. */
interface AttemptScope {
  jobId: string;
  attempt: number;
  log: BoundLogger;
}

const INFRASTRUCTURE_UNAVAILABLE: JobErrorRecord = {
  code: 'infrastructure_unavailable',
  message: 'PostgreSQL or Redis stayed unavailable for longer than the job may wait (JOB_INFRASTRUCTURE_OUTAGE_MAX_MS)',
  retryable: true,
};

/** The history's note on an attempt handed back unfinished: it does not count, the next one runs under its number. */
const HANDED_BACK: JobErrorRecord = {
  code: 'attempt_handed_back',
  message:
    'The attempt stopped before it could finish (worker shutdown or outage) and was handed back; it does not count',
  retryable: true,
};

/**
 * Runs one attempt of a job: generate, write every output under the attempt's own names, record
 * the outcome. The row decides everything: an attempt counts once `beginAttempt` recorded it, only
 * the attempt the row names may write, a job succeeds in the one guarded write that lists its
 * outputs (after they are written), and `failed` is written only when the error is permanent or no
 * attempt is left.
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
      if (context.unrecordedAttempt !== undefined) {
        await this.settleUnrecorded(this.scope(jobId, context.unrecordedAttempt));
      }
      const job = await this.jobs.beginAttempt(jobId, statusesLeadingTo('processing'));
      attempt = job?.attempts;
      if (!job) await this.settleUnstartable(jobId);
      else await this.attempt(job, this.scope(jobId, job.attempts), context.signal);
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
   * Finishes the publication of outputs that an attempt of a release before attempt-named outputs
   * claimed but did not publish (its worker died after the claim): moves them into place and marks
   * the job succeeded.
   */
  async completeClaim(job: JobEntity): Promise<boolean> {
    await this.files.publishClaimed(job.id, job.attempts, job.outputs);
    const scope = this.scope(job.id, job.attempts);
    const succeeded = await this.recordChange(scope, { status: 'succeeded', error: null, markCompleted: true });
    if (succeeded) await this.announceSuccess(scope, succeeded);
    else if ((await this.jobs.findById(job.id))?.status === 'canceled') await this.files.discardAll(job.id);
    return succeeded !== null;
  }

  private scope(jobId: string, attempt: number): AttemptScope {
    return { jobId, attempt, log: new BoundLogger(this.logger, { jobId, attempt }) };
  }

  /** `job` is the row as `beginAttempt` left it. */
  private async attempt(job: JobEntity, scope: AttemptScope, signal?: AbortSignal): Promise<void> {
    const { jobId, attempt } = scope;
    scope.log.log('Attempt started', { model: job.model });
    this.events.changed(jobId);
    if (attempt === 1) await this.events.started(job);

    const unrecordedPrediction: { error?: unknown } = {};
    let outputs: { records: JobOutputRecord[]; shape: JobOutputShape };
    try {
      outputs = await this.generate(job, scope, unrecordedPrediction, signal);
    } catch (thrown) {
      // The row could not be written mid-attempt: an outage, not a failure of the generation.
      if (unrecordedPrediction.error !== undefined) throw unrecordedPrediction.error;
      const failure = await this.recordFailure(job, scope, thrown, signal);
      if (failure) throw failure;
      return;
    }
    const succeeded = await this.recordChange(scope, {
      status: 'succeeded',
      outputs: outputs.records,
      outputShape: outputs.shape,
      error: null,
      markCompleted: true,
    });
    if (!succeeded) return this.tidyAfterLoss(scope);
    await this.announceSuccess(scope, succeeded);
    await this.files.discardEarlierAttempts(jobId, attempt);
  }

  private async announceSuccess(scope: AttemptScope, job: JobEntity): Promise<void> {
    scope.log.log('Attempt succeeded', { outputs: job.outputs.length });
    await this.events.finished(job);
  }

  private async generate(
    job: JobEntity,
    scope: AttemptScope,
    unrecordedPrediction: { error?: unknown },
    signal?: AbortSignal,
  ): Promise<{ records: JobOutputRecord[]; shape: JobOutputShape }> {
    const { attempt } = scope;
    const progress = new ProgressThrottle((update) =>
      this.bestEffort(scope, 'record progress', async () => {
        if (await this.jobs.recordProgress(job.id, attempt, update)) this.events.changed(job.id);
      }),
    );
    let generation: Generation;
    try {
      generation = await this.generator.generate({
        jobId: job.id,
        attempt,
        model: job.model,
        prompt: job.prompt,
        input: job.input,
        predictionId: job.predictionId,
        recordPrediction: async (predictionId) => {
          try {
            await this.recordChange(scope, { status: 'processing', predictionId });
          } catch (error) {
            unrecordedPrediction.error = error;
            throw error;
          }
        },
        onProgress: (update) => progress.report(update),
        signal,
      });
    } finally {
      await progress.stop();
    }
    const { media, shape } = generation;
    const budget = new OutputBudget(this.settings.jobOutputs);
    try {
      budget.checkCount(media.length);
    } catch (error) {
      for (const item of media) item.content.destroy();
      throw error;
    }
    // Every save settles before the attempt moves on, so a failed one leaves no write behind
    // that could land after the attempt's files are removed.
    const saved = await Promise.allSettled(
      media.map((item, index) => this.files.save(job.id, attempt, index, item, budget)),
    );
    const failed = saved.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return { records: saved.map((result) => (result as PromiseFulfilledResult<JobOutputRecord>).value), shape };
  }

  /** Records why the attempt failed; returns the error for the queue to act on, or null if the job moved on. */
  private async recordFailure(
    job: JobEntity,
    scope: AttemptScope,
    thrown: unknown,
    signal?: AbortSignal,
  ): Promise<Error | null> {
    const { attempt, log } = scope;
    if (isCanceled(signal)) {
      // The api already marked the job canceled; what this attempt wrote goes too.
      await this.closeHistory(scope, null);
      await this.files.discardAll(job.id);
      log.log('Attempt stopped: the job was canceled');
      return new AttemptCanceledError(job.id);
    }
    if (signal?.aborted) {
      log.warn('Attempt interrupted by shutdown; handing the job back');
      await this.recordChange(scope, { status: 'queued', attempts: attempt - 1 });
      await this.files.discardAttempt(job.id, attempt);
      return new AttemptInterruptedError(job.id);
    }
    const failure = describeFailure(thrown);
    const record = { code: failure.code, message: failure.message, retryable: failure.retryable };
    const throttled = failure.retryAfterMs !== undefined;
    const final = !failure.retryable || (isFinalAttempt(attempt, job.maxAttempts) && !throttled);
    log.warn('Attempt failed', { code: failure.code, final, err: (thrown as Error)?.cause ?? thrown });
    const recorded = await this.recordChange(
      scope,
      final
        ? { status: 'failed', error: record, markCompleted: true }
        : // A throttled attempt never reached the generator, so it is given back.
          { status: 'queued', error: record, ...(throttled && { attempts: attempt - 1 }) },
    );
    if (!recorded) {
      await this.tidyAfterLoss(scope);
      return null;
    }
    if (final) {
      await this.files.discardAll(job.id);
      await this.events.finished(recorded);
    } else {
      await this.files.discardAttempt(job.id, attempt);
    }
    return new AttemptFailedError(job.id, failure, final);
  }

  /**
   * Gives back an attempt that began but could not record its outcome, so it does not count, and
   * removes what it wrote. If its outcome was recorded after all (the database applied the write
   * but could not confirm it), that stands instead, and a success is announced now.
   */
  private async settleUnrecorded(scope: AttemptScope): Promise<void> {
    const { jobId, attempt } = scope;
    const job = await this.jobs.findById(jobId);
    if (!job) return;
    if (job.status === 'succeeded' && job.attempts === attempt) {
      await this.announceSuccess(scope, job);
      return this.tidyEnded(job);
    }
    if (job.status === 'processing' && job.attempts === attempt && !isClaimed(job)) {
      const givenBack = await this.recordChange(scope, { status: 'queued', attempts: attempt - 1 });
      if (givenBack) {
        scope.log.warn('Gave back an attempt whose outcome could not be recorded');
        await this.files.discardAttempt(jobId, attempt);
        return;
      }
    }
    await this.tidyAfterLoss(scope);
  }

  /** The job could not begin an attempt: finish a claimed publication, end a job out of attempts, tidy files. */
  private async settleUnstartable(jobId: string): Promise<void> {
    const job = await this.jobs.findById(jobId);
    if (!job) return;
    if (isClaimed(job)) await this.completeClaim(job);
    else if (isTerminal(job.status)) await this.tidyEnded(job);
    // A job delivered again after its last attempt was lost (say, its worker was killed) ends here.
    else if (isFinalAttempt(job.attempts, job.maxAttempts)) await this.failExhausted(job);
  }

  /** Fails a job whose last attempt was lost; false when the job moved on meanwhile. */
  async failExhausted(job: JobEntity): Promise<boolean> {
    return this.failEnded(job, ATTEMPTS_EXHAUSTED);
  }

  private async failEnded(job: JobEntity, error: JobErrorRecord): Promise<boolean> {
    const scope = this.scope(job.id, job.attempts);
    const failed = await this.recordChange(scope, { status: 'failed', error, markCompleted: true });
    if (!failed) return false;
    scope.log.warn('Job failed', { code: error.code });
    await this.files.discardAll(job.id);
    await this.events.finished(failed);
    return true;
  }

  /** After `attempt` lost the job: removes what it wrote (a job that ended is tidied as a whole). */
  private async tidyAfterLoss({ jobId, attempt }: AttemptScope): Promise<void> {
    const job = await this.jobs.findById(jobId);
    if (!job) return;
    if (isTerminal(job.status)) await this.tidyEnded(job);
    else await this.files.discardAttempt(jobId, attempt);
  }

  /**
   * An ended job keeps only its outputs: nothing at all unless it succeeded, and then only the
   * succeeding attempt's (the last one: no attempt begins after a success).
   */
  private async tidyEnded(job: JobEntity): Promise<void> {
    if (job.status === 'succeeded') await this.files.discardEarlierAttempts(job.id, job.attempts);
    else await this.files.discardAll(job.id);
  }

  /**
   * Applies a change of this attempt, guarded: the row as the change left it, or null when the job
   * moved on. A change that ends the attempt also closes its history entry (with the error, or the
   * note that it was handed back), in the same statement, so whoever sees the attempt's outcome
   * sees its history complete; a retry tells watchers.
   */
  private async recordChange(scope: AttemptScope, change: JobChange): Promise<JobEntity | null> {
    const { jobId, attempt, log } = scope;
    const ending = change.status !== 'processing';
    const handedBack = change.attempts !== undefined && change.error === undefined;
    const historyError = change.error ?? (handedBack ? HANDED_BACK : null);
    const guard = { from: statusesLeadingTo(change.status), attempt };
    const recorded = await this.jobs.changeIf(
      jobId,
      guard,
      ending ? { ...change, closeAttempt: { error: historyError } } : change,
    );
    if (!recorded) {
      log.warn('Change not recorded: job moved on', { status: change.status });
      // The attempt still ended: its entry is closed even though the job's status moved on without it.
      if (ending) await this.closeHistory(scope, historyError);
    }
    // A terminal change is announced as finished by the caller.
    else if (change.status === 'queued') this.events.changed(jobId);
    return recorded;
  }

  private async closeHistory(scope: AttemptScope, error: JobErrorRecord | null): Promise<void> {
    await this.bestEffort(scope, 'close the attempt history', () =>
      this.jobs.closeAttempt(scope.jobId, scope.attempt, error),
    );
  }

  /** The attempt history and progress only describe the job: failing to write them never fails an attempt. */
  private async bestEffort(scope: AttemptScope, what: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      scope.log.warn(`Could not ${what}`, { err: error });
    }
  }
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
