import { type GeneratorConfig, generatorConfig, type QueueConfig, queueConfig } from '@app/config';
import { GenerationService } from '@app/jobs';
import { GENERATION_QUEUE, type GenerationJobData } from '@app/queue';
import { GenerationError } from '@app/replicate';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { type Job, UnrecoverableError, Worker } from 'bullmq';

/** Adapts BullMQ to the generation use case and maps its errors to BullMQ's retry policy. */
@Processor(GENERATION_QUEUE, { autorun: false })
export class GenerationProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly generation: GenerationService,
    @Inject(queueConfig.KEY) private readonly settings: QueueConfig,
    @Inject(generatorConfig.KEY) private readonly generator: GeneratorConfig,
  ) {
    super();
  }

  /** Takes jobs only once every module (database, storage, generator) is ready. */
  onApplicationBootstrap(): void {
    this.worker.concurrency = this.settings.concurrency;
    if (this.generator.startsPerMinute) {
      // BullMQ's limiter lives in Redis, so this caps attempt starts across every worker replica.
      this.worker.opts.limiter = { max: this.generator.startsPerMinute, duration: 60_000 };
    }
    void this.worker.run();
  }

  async process(job: Job<GenerationJobData>): Promise<void> {
    const attempts = job.opts.attempts ?? 1;
    try {
      await this.generation.runAttempt(job.data.jobId, {
        number: job.attemptsStarted,
        isLast: job.attemptsMade + 1 >= attempts,
      });
    } catch (error) {
      if (!(error instanceof GenerationError)) throw error;
      if (error.retryAfterMs !== undefined) {
        // Upstream throttling holds back the whole queue, on every replica, without using an attempt.
        await this.worker.rateLimit(error.retryAfterMs);
        throw Worker.RateLimitError();
      }
      if (!error.retryable) throw new UnrecoverableError(error.message);
      throw error;
    }
  }
}
