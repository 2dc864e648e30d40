import { AttemptCanceledError, AttemptInterruptedError, GenerationService } from '@app/jobs';
import { type GenerationJobData, GenerationQueueProducer } from '@app/queue';
import { GenerationError } from '@app/replicate';
import { Injectable } from '@nestjs/common';
import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';

/** Adapts a BullMQ job to the generation use case and maps its errors to BullMQ's retry policy. */
@Injectable()
export class GenerationProcessor {
  constructor(
    private readonly generation: GenerationService,
    private readonly queue: GenerationQueueProducer,
  ) {}

  async process(job: Job<GenerationJobData>, token?: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.generation.runAttempt(job.data.jobId, {
        queueHasNoRetryLeft: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
        signal,
      });
    } catch (error) {
      // The job was canceled: it is over, for BullMQ too.
      if (error instanceof AttemptCanceledError) return;
      if (error instanceof AttemptInterruptedError) {
        // Shutdown: back to the queue at once for another worker, without using a BullMQ attempt.
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      if (!(error instanceof GenerationError)) throw error;
      if (error.retryAfterMs !== undefined) {
        // Upstream throttling holds back the whole queue, on every replica, without using an attempt.
        await this.queue.rateLimit(error.retryAfterMs);
        throw Worker.RateLimitError();
      }
      if (!error.retryable) throw new UnrecoverableError(error.message);
      throw error;
    }
  }
}
