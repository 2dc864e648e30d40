import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { QueueRedis } from './queue-redis';

type CancelHandler = (jobId: string) => void;

/**
 * Messages between processes over Redis pub/sub: "job X ended" (so any api replica can answer a
 * waiting request at once) and "cancel job X" (so whichever worker runs it stops). Connections
 * are opened on first use; a lost message is harmless, as waits time out and re-read PostgreSQL.
 */
@Injectable()
export class JobSignals implements OnApplicationShutdown {
  private readonly logger = new Logger(JobSignals.name);
  private subscriber?: Redis | Cluster;
  private subscribed?: Promise<void>;
  private readonly finishWaiters = new Map<string, Set<() => void>>();
  private readonly cancelHandlers: CancelHandler[] = [];

  private readonly finishedChannel: string;
  private readonly cancelChannel: string;

  constructor(private readonly redis: QueueRedis) {
    this.finishedChannel = redis.key('signals', 'finished');
    this.cancelChannel = redis.key('signals', 'cancel');
  }

  /** Announces that a job reached a terminal state; never throws. */
  async announceFinished(jobId: string): Promise<void> {
    await this.publish(this.finishedChannel, jobId);
  }

  /** Asks every worker to stop the job if it runs it; never throws. */
  async requestCancel(jobId: string): Promise<void> {
    await this.publish(this.cancelChannel, jobId);
  }

  /** Resolves once the subscription is live, so no cancel sent afterwards is missed. */
  async onCancelRequested(handler: CancelHandler): Promise<void> {
    this.cancelHandlers.push(handler);
    await this.subscribe();
  }

  /**
   * Resolves, once subscribed, to a handle whose `done` settles when `jobId` is announced
   * finished or `stop()` is called, whichever comes first.
   */
  async nextFinish(jobId: string): Promise<{ done: Promise<void>; stop(): void }> {
    await this.subscribe();
    let resolve!: () => void;
    const done = new Promise<void>((settle) => {
      resolve = settle;
    });
    const waiters = this.finishWaiters.get(jobId) ?? new Set();
    waiters.add(resolve);
    this.finishWaiters.set(jobId, waiters);
    const stop = () => {
      waiters.delete(resolve);
      if (waiters.size === 0) this.finishWaiters.delete(jobId);
      resolve();
    };
    return { done, stop };
  }

  onApplicationShutdown(): void {
    for (const waiters of this.finishWaiters.values()) for (const resolve of waiters) resolve();
  }

  private async publish(channel: string, jobId: string): Promise<void> {
    try {
      await this.redis.client.publish(channel, jobId);
    } catch (error) {
      this.logger.warn({ jobId, channel, err: error }, 'Could not publish a job signal');
    }
  }

  /** Subscribes once; a failure is logged and the next call tries again (waits then time out). */
  private subscribe(): Promise<void> {
    this.subscribed ??= this.connectSubscriber().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'Could not subscribe to job signals');
      this.subscriber?.disconnect();
      this.subscriber = undefined;
      this.subscribed = undefined;
    });
    return this.subscribed;
  }

  private async connectSubscriber(): Promise<void> {
    const subscriber = this.redis.open();
    this.subscriber = subscriber;
    subscriber.on('message', (channel: string, jobId: string) => {
      if (channel === this.cancelChannel) for (const handler of this.cancelHandlers) handler(jobId);
      if (channel === this.finishedChannel) for (const resolve of this.finishWaiters.get(jobId) ?? []) resolve();
    });
    await subscriber.subscribe(this.finishedChannel, this.cancelChannel);
  }
}
