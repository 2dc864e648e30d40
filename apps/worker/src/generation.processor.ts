import { type QueueConfig, queueConfig } from '@app/config';
import { GenerationService } from '@app/jobs';
import { GENERATION_QUEUE, type GenerationJobData } from '@app/queue';
import { GenerationError } from '@app/replicate';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { type Job, UnrecoverableError } from 'bullmq';

/** Adapts BullMQ to the generation use case and maps its errors to BullMQ's retry policy. */
@Processor(GENERATION_QUEUE, { autorun: false })
export class GenerationProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly generation: GenerationService,
    @Inject(queueConfig.KEY) private readonly settings: QueueConfig,
  ) {
    super();
  }

  /** Takes jobs only once every module (database, storage, generator) is ready. */
  onApplicationBootstrap(): void {
    this.worker.concurrency = this.settings.concurrency;
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
      if (error instanceof GenerationError && !error.retryable) throw new UnrecoverableError(error.message);
      throw error;
    }
  }
}
