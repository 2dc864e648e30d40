import { type GeneratorConfig, generatorConfig, type QueueConfig, queueConfig } from '@app/config';
import { ABORT_REASONS } from '@app/jobs';
import { GENERATION_QUEUE, type GenerationJobData, JobSignals } from '@app/queue';
import { Inject, Injectable } from '@nestjs/common';
import type { Worker } from 'bullmq';
import { GenerationProcessor } from './generation.processor';
import { QueueWorker, type WorkerPlan } from './queue-worker';

/** Time jobs get to hand themselves back after their abort signal, once the shutdown timeout passed. */
const HAND_BACK_GRACE_MS = 5000;

/**
 * Runs generation jobs: concurrency, locks and stall checks sized for long generations, and the
 * creation limiter. Jobs still running when the shutdown timeout passes are aborted, which hands
 * them back to the queue.
 */
@Injectable()
export class GenerationWorker extends QueueWorker<GenerationJobData> {
  constructor(
    private readonly processor: GenerationProcessor,
    private readonly signals: JobSignals,
    @Inject(queueConfig.KEY) private readonly queue: QueueConfig,
    @Inject(generatorConfig.KEY) private readonly generator: GeneratorConfig,
  ) {
    super(queue);
  }

  protected async plan(): Promise<WorkerPlan<GenerationJobData>> {
    const { startsPerMinute } = this.generator;
    return {
      queueName: GENERATION_QUEUE,
      processor: (job, token, signal) => this.processor.process(job, token, signal),
      options: {
        concurrency: this.queue.concurrency,
        lockDuration: this.queue.lockDurationMs,
        stalledInterval: this.queue.stalledIntervalMs,
        maxStalledCount: this.queue.maxStalledCount,
        // BullMQ's limiter lives in Redis, so it caps attempt starts across every replica.
        ...(startsPerMinute && { limiter: { max: startsPerMinute, duration: 60_000 } }),
      },
    };
  }

  protected override async beforeStart(worker: Worker<GenerationJobData>): Promise<void> {
    // A cancel published by the api stops the job here if this worker runs it.
    await this.signals.onCancelRequested((jobId) => worker.cancelJob(jobId, ABORT_REASONS.canceled));
  }

  protected async shutdownTimedOut(): Promise<void> {
    this.logger.warn('Shutdown timeout reached: handing running jobs back to the queue');
    this.worker?.cancelAllJobs(ABORT_REASONS.shutdown);
    if (!(await this.closesWithin(HAND_BACK_GRACE_MS))) {
      this.logger.error('Jobs did not stop in time; their locks will expire and another worker will take them');
    }
  }
}
