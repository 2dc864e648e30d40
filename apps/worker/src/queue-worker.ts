import type { QueueConfig } from '@app/config';
import { logRedisError, redisConnectionOptions, settlesWithin } from '@app/queue';
import type { Logger } from '@nestjs/common';
import { type Processor, Worker, type WorkerOptions } from 'bullmq';

/** What a worker sets for itself; connection, prefix and start-up belong to `QueueWorker`. */
export type OwnWorkerOptions = Omit<WorkerOptions, 'connection' | 'prefix' | 'autorun'>;

/**
 * The one lifecycle of this app's BullMQ workers: built on the service's Redis connection and
 * prefix, its errors logged once per outage, started only when the app is ready (`start`), and
 * closed in bounded time (`closesWithin`): a worker that has not closed by then keeps closing.
 */
export class QueueWorker<Data> {
  readonly worker: Worker<Data>;
  private closing?: Promise<void>;

  constructor(
    queueName: string,
    processor: Processor<Data>,
    queue: QueueConfig,
    logger: Logger,
    options: OwnWorkerOptions = {},
  ) {
    this.worker = new Worker<Data>(queueName, processor, {
      ...options,
      connection: redisConnectionOptions(queue.redisUrl),
      prefix: queue.prefix,
      autorun: false,
    });
    this.worker.on('error', (error) => logRedisError(logger, `Worker of queue ${queueName} failed`, error));
  }

  async start(): Promise<void> {
    await this.worker.waitUntilReady();
    void this.worker.run();
  }

  /** Stops taking jobs and waits up to `ms` for the running ones; true when the worker closed in time. */
  closesWithin(ms: number): Promise<boolean> {
    this.closing ??= this.worker.close();
    return settlesWithin(this.closing, ms);
  }
}
