import { type GeneratorConfig, generatorConfig, type QueueConfig, queueConfig } from '@app/config';
import { ABORT_REASONS } from '@app/generator';
import { GENERATION_QUEUE, type GenerationJobData, JobSignals } from '@app/queue';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { GenerationProcessor } from './generation.processor';
import { QueueWorker } from './queue-worker';

/** Time jobs get to hand themselves back after their abort signal, once the shutdown timeout passed. */
const HAND_BACK_GRACE_MS = 5000;

/**
 * Owns the generation worker: concurrency, locks and stall checks sized for long generations,
 * and the creation limiter. On shutdown it takes no new jobs, lets running ones finish within
 * WORKER_SHUTDOWN_TIMEOUT_MS, then aborts the rest, which hand their jobs back to the queue.
 */
@Injectable()
export class GenerationWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(GenerationWorker.name);
  private lifecycle?: QueueWorker<GenerationJobData>;

  constructor(
    private readonly processor: GenerationProcessor,
    private readonly signals: JobSignals,
    @Inject(queueConfig.KEY) private readonly queue: QueueConfig,
    @Inject(generatorConfig.KEY) private readonly generator: GeneratorConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { startsPerMinute } = this.generator;
    const lifecycle = new QueueWorker<GenerationJobData>(
      GENERATION_QUEUE,
      (job, token, signal) => this.processor.process(job, token, signal),
      this.queue,
      this.logger,
      {
        concurrency: this.queue.concurrency,
        lockDuration: this.queue.lockDurationMs,
        stalledInterval: this.queue.stalledIntervalMs,
        maxStalledCount: this.queue.maxStalledCount,
        // BullMQ's limiter lives in Redis, so it caps attempt starts across every replica.
        ...(startsPerMinute && { limiter: { max: startsPerMinute, duration: 60_000 } }),
      },
    );
    this.lifecycle = lifecycle;
    // A cancel published by the api stops the job here if this worker runs it.
    await this.signals.onCancelRequested((jobId) => lifecycle.worker.cancelJob(jobId, ABORT_REASONS.canceled));
    await lifecycle.start();
    this.logger.log({ concurrency: this.queue.concurrency }, 'Taking generation jobs');
  }

  async beforeApplicationShutdown(): Promise<void> {
    const lifecycle = this.lifecycle;
    if (!lifecycle || (await lifecycle.closesWithin(this.queue.shutdownTimeoutMs))) return;
    this.logger.warn('Shutdown timeout reached: handing running jobs back to the queue');
    lifecycle.worker.cancelAllJobs(ABORT_REASONS.shutdown);
    if (!(await lifecycle.closesWithin(HAND_BACK_GRACE_MS))) {
      this.logger.error('Jobs did not stop in time; their locks will expire and another worker will take them');
    }
  }
}
