import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { QueueRedis } from './queue-redis';

type CancelHandler = (jobId: string) => void;

/**
 * Messages between processes over Redis pub/sub: "job X ended" (so any api replica can answer a
 * waiting request at once), "job X changed" (its status or progress: event streams re-read it)
 * and "cancel job X" (so whichever worker runs it stops). The connection is opened, and each channel
 * subscribed, on first use; a lost message is harmless, as waits time out and streams re-read
 * PostgreSQL now and then.
 */
@Injectable()
export class JobSignals implements OnApplicationShutdown {
  private readonly logger = new Logger(JobSignals.name);
  private subscriber?: Redis | Cluster;
  /** The channels this process listens to, each subscribed on first use. */
  private readonly subscriptions = new Map<string, Promise<void>>();
  private readonly finishWaiters = new Map<string, Set<() => void>>();
  private readonly cancelHandlers: CancelHandler[] = [];
  private readonly watchers = new Map<string, Set<() => void>>();

  private readonly finishedChannel: string;
  private readonly changedChannel: string;
  private readonly cancelChannel: string;

  constructor(private readonly redis: QueueRedis) {
    this.finishedChannel = redis.key('signals', 'finished');
    this.changedChannel = redis.key('signals', 'changed');
    this.cancelChannel = redis.key('signals', 'cancel');
  }

  /** Announces that a job's status or progress changed (not to an end: see announceFinished); never throws. */
  async announceChanged(jobId: string): Promise<void> {
    await this.publish(this.changedChannel, jobId);
  }

  /**
   * Calls `listener` each time `jobId` is announced changed or finished, from when the returned
   * promise resolves (subscribed) until its unwatch function is called.
   */
  async watch(jobId: string, listener: () => void): Promise<() => void> {
    await this.listen(this.finishedChannel, this.changedChannel);
    const listeners = this.watchers.get(jobId) ?? new Set();
    listeners.add(listener);
    this.watchers.set(jobId, listeners);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.watchers.get(jobId) === listeners) this.watchers.delete(jobId);
    };
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
    await this.listen(this.cancelChannel);
  }

  /**
   * Resolves, once subscribed, to a handle whose `done` settles when `jobId` is announced
   * finished or `stop()` is called, whichever comes first.
   */
  async nextFinish(jobId: string): Promise<{ done: Promise<void>; stop(): void }> {
    await this.listen(this.finishedChannel);
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

  /**
   * Subscribes to `channels`, each once, on first use: a worker, which only takes cancels, never
   * hears every job's changes and ends. A failure is logged and drops the connection; the next
   * use connects again (waits then time out and streams re-read PostgreSQL meanwhile).
   */
  private async listen(...channels: string[]): Promise<void> {
    if (!this.subscriber) {
      try {
        this.subscriber = this.openSubscriber();
      } catch (error) {
        this.disconnect(error);
        return;
      }
    }
    const subscriber = this.subscriber;
    await Promise.all(channels.map((channel) => this.subscribeTo(subscriber, channel)));
  }

  private subscribeTo(subscriber: Redis | Cluster, channel: string): Promise<void> {
    let subscribed = this.subscriptions.get(channel);
    if (!subscribed) {
      subscribed = subscriber.subscribe(channel).then(
        () => undefined,
        (error: unknown) => {
          if (this.subscriber === subscriber) this.disconnect(error);
        },
      );
      this.subscriptions.set(channel, subscribed);
    }
    return subscribed;
  }

  private disconnect(error: unknown): void {
    this.logger.warn({ err: error }, 'Could not subscribe to job signals');
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    this.subscriptions.clear();
  }

  private openSubscriber(): Redis | Cluster {
    const subscriber = this.redis.open();
    subscriber.on('message', (channel: string, jobId: string) => {
      if (channel === this.cancelChannel) for (const handler of this.cancelHandlers) handler(jobId);
      if (channel === this.finishedChannel) for (const resolve of this.finishWaiters.get(jobId) ?? []) resolve();
      if (channel === this.finishedChannel || channel === this.changedChannel) {
        for (const listener of this.watchers.get(jobId) ?? []) listener();
      }
    });
    return subscriber;
  }
}
