import { type JobChange, type JobOutputRecord, JobsRepository } from '@app/database';
import { type GeneratedMedia, GenerationError, MediaGenerator } from '@app/replicate';
import { MediaStorage, mediaKey } from '@app/storage';
import { Injectable, Logger } from '@nestjs/common';
import { statusesLeadingTo } from './job-lifecycle';

export interface AttemptInfo {
  /** Attempts started so far, this one included. */
  number: number;
  /** No attempt is left after this one if it fails. */
  isLast: boolean;
}

/** Runs one attempt of a job: generate, store every output, record the outcome. */
@Injectable()
export class GenerationService {
  private readonly logger = new Logger(GenerationService.name);

  constructor(
    private readonly jobs: JobsRepository,
    private readonly generator: MediaGenerator,
    private readonly storage: MediaStorage,
  ) {}

  /**
   * Resolves when the attempt succeeded or had nothing to do (the job is terminal, or a newer
   * attempt owns it); throws a GenerationError when it failed, after recording the failure:
   * `failed` when no attempt is left or the error is permanent, otherwise back to `queued`.
   */
  async runAttempt(jobId: string, attempt: AttemptInfo): Promise<void> {
    const started = await this.jobs.updateIf(
      jobId,
      { from: statusesLeadingTo('processing'), attemptsBelow: attempt.number },
      { status: 'processing', attempts: attempt.number, markStarted: true },
    );
    const job = started ? await this.jobs.findById(jobId) : null;
    if (!job) {
      this.logger.warn(
        { jobId, attempt: attempt.number },
        'Job is finished, missing or owned by a newer attempt; skipping',
      );
      return;
    }
    this.logger.log({ jobId, attempt: attempt.number, model: job.model }, 'Attempt started');

    let outputs: JobOutputRecord[];
    try {
      const media = await this.generator.generate({
        jobId,
        attempt: attempt.number,
        model: job.model,
        prompt: job.prompt,
        input: job.input,
        predictionId: job.predictionId,
        recordPrediction: (predictionId) =>
          this.recordChange(jobId, attempt.number, { status: 'processing', predictionId }),
      });
      outputs = await Promise.all(media.map((item, index) => this.store(jobId, index, item)));
    } catch (thrown) {
      const error = GenerationError.from(thrown);
      // A rate-limited attempt does not count against the job's attempts (BullMQ re-queues it).
      const final = !error.retryable || (attempt.isLast && error.retryAfterMs === undefined);
      this.logger.warn(
        { jobId, attempt: attempt.number, code: error.code, final, err: error.cause ?? error },
        'Attempt failed',
      );
      const record = { code: error.code, message: error.message, retryable: error.retryable };
      await this.recordChange(
        jobId,
        attempt.number,
        final ? { status: 'failed', error: record, markCompleted: true } : { status: 'queued', error: record },
      );
      throw error;
    }
    await this.recordChange(jobId, attempt.number, { status: 'succeeded', error: null, outputs, markCompleted: true });
    this.logger.log({ jobId, attempt: attempt.number, outputs: outputs.length }, 'Attempt succeeded');
  }

  private async recordChange(jobId: string, attempt: number, change: JobChange): Promise<void> {
    const recorded = await this.jobs.updateIf(jobId, { from: statusesLeadingTo(change.status), attempt }, change);
    if (!recorded) this.logger.warn({ jobId, attempt, status: change.status }, 'Outcome not recorded: job moved on');
  }

  private async store(jobId: string, index: number, media: GeneratedMedia): Promise<JobOutputRecord> {
    const file = `${index}.${media.extension}`;
    const stored = await this.storage.save(mediaKey(jobId, file), media.content, media.contentType);
    return { file, contentType: stored.contentType, bytes: stored.bytes, sha256: stored.sha256 };
  }
}
