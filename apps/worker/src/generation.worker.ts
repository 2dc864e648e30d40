import { type GeneratorConfig, generatorConfig, type QueueConfig, queueConfig } from '@app/config';
import { ABORT_REASONS } from '@app/generator';
import {
  GENERATION_QUEUE,
  type GenerationJobData,
  JobSignals,
  logRedisError,
  redisConnectionOptions,
} from '@app/queue';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Worker } from 'bullmq';
import { GenerationProcessor } from './generation.processor';
import { settlesWithin } from './settles-within';

/** Time jobs get to hand themselves back after their abort signal, once the shutdown timeout passed. */
const HAND_BACK_GRACE_MS = 5000;

/**
 * Owns the BullMQ worker: built from config (concurrency, locks and stall checks sized for long
 * generations, the creation limiter), started only once the app is ready, and stopped in bounded
 * time: on shutdown it takes no new jobs, lets running ones finish within
 * WORKER_SHUTDOWN_TIMEOUT_MS, then aborts the rest, which hand their jobs back to the queue.
 */
@Injectable()
export class GenerationWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(GenerationWorker.name);
  private worker?: Worker<GenerationJobData>;

  constructor(
    private readonly processor: GenerationProcessor,
    private readonly signals: JobSignals,
    @Inject(queueConfig.KEY) private readonly queue: QueueConfig,
    @Inject(generatorConfig.KEY) private readonly generator: GeneratorConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.worker = new Worker<GenerationJobData>(
      GENERATION_QUEUE,
      (job, token, signal) => this.processor.process(job, token, signal),
      {
        connection: redisConnectionOptions(this.queue.redis),
        prefix: this.queue.prefix,
        autorun: false,
        concurrency: this.queue.concurrency,
        lockDuration: this.queue.lockDurationMs,
        stalledInterval: this.queue.stalledIntervalMs,
        maxStalledCount: this.queue.maxStalledCount,
        // BullMQ's limiter lives in Redis, so it caps attempt starts across every replica.
        ...(this.generator.startsPerMinute && { limiter: { max: this.generator.startsPerMinute, duration: 60_000 } }),
      },
    );
    this.worker.on('error', (error) => logRedisError(this.logger, 'Queue worker error', error));
    // A cancel published by the api stops the job here if this worker runs it.
    await this.signals.onCancelRequested((jobId) => this.worker?.cancelJob(jobId, ABORT_REASONS.canceled));
    await this.worker.waitUntilReady();
    void this.worker.run();
    this.logger.log({ concurrency: this.queue.concurrency }, 'Taking generation jobs');
  }

  async beforeApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const closed = worker.close();
    if (await settlesWithin(closed, this.queue.shutdownTimeoutMs)) return;
    this.logger.warn('Shutdown timeout reached: handing running jobs back to the queue');
    worker.cancelAllJobs(ABORT_REASONS.shutdown);
    if (!(await settlesWithin(closed, HAND_BACK_GRACE_MS))) {
      this.logger.error('Jobs did not stop in time; their locks will expire and another worker will take them');
    }
  }
}
