import type { QueueConfig } from '@app/config';
import { logRedisError, redisConnectionOptions, settlesWithin } from '@app/queue';
import { type BeforeApplicationShutdown, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { type Processor, Worker, type WorkerOptions } from 'bullmq';

/** What one worker decides for itself; connection, prefix and start-up belong to `QueueWorker`. */
export interface WorkerPlan<Data> {
  queueName: string;
  processor: Processor<Data>;
  options?: Omit<WorkerOptions, 'connection' | 'prefix' | 'autorun'>;
}

/**
 * The one lifecycle of this app's BullMQ workers: each is built on the service's Redis
 * connection and prefix, logs its errors once per outage, starts only when the app is ready,
 * and on shutdown stops taking jobs and waits for the running ones at most
 * WORKER_SHUTDOWN_TIMEOUT_MS; `shutdownTimedOut` says what happens to those still running then.
 */
export abstract class QueueWorker<Data> implements OnApplicationBootstrap, BeforeApplicationShutdown {
  protected readonly logger = new Logger(this.constructor.name);
  protected worker?: Worker<Data>;
  private closing?: Promise<void>;

  constructor(private readonly settings: QueueConfig) {}

  /** The worker to run, or undefined to run none (say, the work is switched off). */
  protected abstract plan(): Promise<WorkerPlan<Data> | undefined>;

  /** Called with the built worker before it takes its first job. */
  protected async beforeStart(_worker: Worker<Data>): Promise<void> {}

  /** Called when running jobs outlast the shutdown timeout; the worker keeps closing meanwhile. */
  protected abstract shutdownTimedOut(): Promise<void>;

  async onApplicationBootstrap(): Promise<void> {
    const plan = await this.plan();
    if (!plan) return;
    const worker = new Worker<Data>(plan.queueName, plan.processor, {
      ...plan.options,
      connection: redisConnectionOptions(this.settings.redis),
      prefix: this.settings.prefix,
      autorun: false,
    });
    worker.on('error', (error) => logRedisError(this.logger, `Worker of queue ${plan.queueName} failed`, error));
    this.worker = worker;
    await this.beforeStart(worker);
    await worker.waitUntilReady();
    void worker.run();
    this.logger.debug({ concurrency: worker.concurrency }, `Taking ${plan.queueName} jobs`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.worker && !(await this.closesWithin(this.settings.shutdownTimeoutMs))) await this.shutdownTimedOut();
  }

  /** Stops taking jobs and waits up to `ms` for the running ones; true when the worker closed in time. */
  protected closesWithin(ms: number): Promise<boolean> {
    this.closing ??= (this.worker as Worker<Data>).close();
    return settlesWithin(this.closing, ms);
  }
}
