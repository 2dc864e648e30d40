import { EventEmitter } from 'node:events';
import type { JobState, JobsOptions } from 'bullmq';

/** In-memory stand-ins for the little of BullMQ and ioredis that libs/queue uses, for unit specs. */

type FakeState = JobState | 'unknown';

/** A job as the fake queue holds it; `removeFailure` makes `remove()` reject. */
export class FakeQueuedJob {
  removeFailure?: Error;

  constructor(
    private readonly queue: FakeBullQueue,
    readonly id: string,
    public state: FakeState,
  ) {}

  async isCompleted(): Promise<boolean> {
    return this.state === 'completed';
  }

  async isFailed(): Promise<boolean> {
    return this.state === 'failed';
  }

  async isActive(): Promise<boolean> {
    return this.state === 'active';
  }

  async remove(): Promise<void> {
    if (this.removeFailure) throw this.removeFailure;
    this.queue.jobs.delete(this.id);
  }
}

/** A BullMQ Queue in memory. Like BullMQ, adding a job id the queue still holds adds nothing. */
export class FakeBullQueue extends EventEmitter {
  readonly jobs = new Map<string, FakeQueuedJob>();
  readonly added: { name: string; data: unknown; opts: JobsOptions }[] = [];
  readonly rateLimits: number[] = [];

  constructor(readonly name = 'generation') {
    super();
  }

  get keys(): { wait: string } {
    return { wait: `bull:${this.name}:wait` };
  }

  /** Puts a job in `state`, as if BullMQ had moved it there. */
  hold(id: string, state: FakeState): FakeQueuedJob {
    const job = new FakeQueuedJob(this, id, state);
    this.jobs.set(id, job);
    return job;
  }

  async add(name: string, data: unknown, opts: JobsOptions): Promise<void> {
    this.added.push({ name, data, opts });
    const id = String(opts.jobId);
    if (!this.jobs.has(id)) this.hold(id, 'waiting');
  }

  async getJob(id: string): Promise<FakeQueuedJob | undefined> {
    return this.jobs.get(id);
  }

  async getJobState(id: string): Promise<FakeState> {
    return this.jobs.get(id)?.state ?? 'unknown';
  }

  async rateLimit(delayMs: number): Promise<void> {
    this.rateLimits.push(delayMs);
  }
}

/** A Redis pub/sub server in memory: `publish` reaches every connection subscribed to the channel. */
export class FakePubSub {
  readonly subscribers: FakeSubscriber[] = [];
  publishFailure?: Error;
  subscribeFailure?: Error;
  openFailure?: Error;

  readonly client = {
    publish: async (channel: string, message: string): Promise<number> => {
      if (this.publishFailure) throw this.publishFailure;
      const listening = this.subscribers.filter((subscriber) => subscriber.channels.has(channel));
      for (const subscriber of listening) subscriber.emit('message', channel, message);
      return listening.length;
    },
  };

  constructor(private readonly prefix = 'test') {}

  /** QueueRedis#key */
  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  /** QueueRedis#open */
  open(): FakeSubscriber {
    if (this.openFailure) throw this.openFailure;
    const subscriber = new FakeSubscriber(this);
    this.subscribers.push(subscriber);
    return subscriber;
  }
}

export class FakeSubscriber extends EventEmitter {
  readonly channels = new Set<string>();
  /** The channels of each `subscribe` call, in order. */
  readonly subscribeCalls: string[][] = [];
  disconnected = false;

  constructor(private readonly server: FakePubSub) {
    super();
  }

  async subscribe(...channels: string[]): Promise<void> {
    this.subscribeCalls.push(channels);
    if (this.server.subscribeFailure) throw this.server.subscribeFailure;
    for (const channel of channels) this.channels.add(channel);
  }

  disconnect(): void {
    this.disconnected = true;
    this.channels.clear();
  }
}
