import { type JobChange, type JobEntity, type JobOutputRecord, JobsRepository } from '@app/database';
import { type GeneratedMedia, GenerationError, isCanceled, MediaGenerator } from '@app/replicate';
import { MediaStorage, mediaKey } from '@app/storage';
import { Injectable, Logger } from '@nestjs/common';
import { JobEvents } from './job-events.service';
import { isTerminal, statusesLeadingTo } from './job-lifecycle';
import { AttemptCanceledError, AttemptInterruptedError } from './jobs.errors';

export interface AttemptContext {
  /** The queue will not retry this job again, whatever the row says. */
  queueHasNoRetryLeft: boolean;
  /** Aborted when the worker shuts down: the attempt is then handed back, not failed. */
  signal?: AbortSignal;
}

/** Runs one attempt of a job: generate, store every output, record the outcome. */
@Injectable()
export class GenerationService {
  private readonly logger = new Logger(GenerationService.name);

  constructor(
    private readonly jobs: JobsRepository,
    private readonly generator: MediaGenerator,
    private readonly storage: MediaStorage,
    private readonly events: JobEvents,
  ) {}

  /**
   * Resolves when the attempt succeeded or had nothing to do (the job is terminal, or has no
   * attempt left). Throws a GenerationError when it failed, after recording the failure:
   * `failed` when no attempt is left or the error is permanent, otherwise back to `queued`.
   * Throws AttemptInterruptedError when a shutdown aborted it (the attempt is then given back), and
   * AttemptCanceledError when the job was canceled (its outputs are then removed).
   */
  async runAttempt(jobId: string, context: AttemptContext): Promise<void> {
    const attempt = await this.jobs.beginAttempt(jobId, statusesLeadingTo('processing'));
    const job = attempt === null ? null : await this.jobs.findById(jobId);
    if (attempt === null || !job) {
      await this.failIfOutOfAttempts(jobId);
      return;
    }
    const isLast = attempt >= job.maxAttempts || context.queueHasNoRetryLeft;
    this.logger.log({ jobId, attempt, model: job.model }, 'Attempt started');
    if (attempt === 1) await this.events.started(job);

    let outputs: JobOutputRecord[];
    try {
      outputs = await this.generate(job, attempt, context.signal);
    } catch (thrown) {
      throw await this.recordFailure(job, attempt, isLast, thrown, context.signal);
    }
    const recorded = await this.recordChange(jobId, attempt, {
      status: 'succeeded',
      error: null,
      outputs,
      markCompleted: true,
    });
    if (recorded) this.logger.log({ jobId, attempt, outputs: outputs.length }, 'Attempt succeeded');
    else if ((await this.jobs.findById(jobId))?.status === 'canceled') await this.storage.removeAll(jobId);
  }

  private async generate(job: JobEntity, attempt: number, signal?: AbortSignal): Promise<JobOutputRecord[]> {
    const media = await this.generator.generate({
      jobId: job.id,
      attempt,
      model: job.model,
      prompt: job.prompt,
      input: job.input,
      predictionId: job.predictionId,
      recordPrediction: async (predictionId) => {
        await this.recordChange(job.id, attempt, { status: 'processing', predictionId });
      },
      signal,
    });
    return Promise.all(media.map((item, index) => this.store(job.id, index, item)));
  }

  /** Records why the attempt failed and returns the error for the queue to act on. */
  private async recordFailure(
    job: JobEntity,
    attempt: number,
    isLast: boolean,
    thrown: unknown,
    signal?: AbortSignal,
  ): Promise<Error> {
    if (isCanceled(signal)) {
      // The api already marked the job canceled; what this attempt wrote goes too.
      await this.storage.removeAll(job.id);
      this.logger.log({ jobId: job.id, attempt }, 'Attempt stopped: the job was canceled');
      return new AttemptCanceledError(job.id);
    }
    if (signal?.aborted) {
      this.logger.warn({ jobId: job.id, attempt }, 'Attempt interrupted by shutdown; handing the job back');
      await this.recordChange(job.id, attempt, { status: 'queued', attempts: attempt - 1 });
      return new AttemptInterruptedError(job.id);
    }
    const error = GenerationError.from(thrown);
    const record = { code: error.code, message: error.message, retryable: error.retryable };
    const throttled = error.retryAfterMs !== undefined;
    const final = !error.retryable || (isLast && !throttled);
    this.logger.warn({ jobId: job.id, attempt, code: error.code, final, err: error.cause ?? error }, 'Attempt failed');
    await this.recordChange(
      job.id,
      attempt,
      final
        ? { status: 'failed', error: record, markCompleted: true }
        : // A throttled attempt never reached the generator, so it is given back.
          { status: 'queued', error: record, ...(throttled && { attempts: attempt - 1 }) },
    );
    return error;
  }

  /** A job delivered again after its last attempt was lost (say, its worker was killed) ends here. */
  private async failIfOutOfAttempts(jobId: string): Promise<void> {
    const job = await this.jobs.findById(jobId);
    if (!job || isTerminal(job.status) || job.attempts < job.maxAttempts) return;
    const failed = await this.jobs.updateIf(
      jobId,
      { from: statusesLeadingTo('failed'), attempt: job.attempts },
      {
        status: 'failed',
        error: {
          code: 'attempts_exhausted',
          message: 'The last attempt was lost and no attempt is left',
          retryable: true,
        },
        markCompleted: true,
      },
    );
    if (failed) this.logger.warn({ jobId, attempts: job.attempts }, 'Job failed: its last attempt was lost');
  }

  private async recordChange(jobId: string, attempt: number, change: JobChange): Promise<boolean> {
    const recorded = await this.jobs.updateIf(jobId, { from: statusesLeadingTo(change.status), attempt }, change);
    if (!recorded) this.logger.warn({ jobId, attempt, status: change.status }, 'Change not recorded: job moved on');
    else if (isTerminal(change.status)) await this.events.finished(jobId);
    return recorded;
  }

  private async store(jobId: string, index: number, media: GeneratedMedia): Promise<JobOutputRecord> {
    const file = `${index}.${media.extension}`;
    const stored = await this.storage.save(mediaKey(jobId, file), media.content, media.contentType);
    return { file, contentType: stored.contentType, bytes: stored.bytes, sha256: stored.sha256 };
  }
}
