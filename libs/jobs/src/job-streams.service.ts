import { type AppConfig, appConfig } from '@app/config';
import { type JobEntity, JobsRepository } from '@app/database';
import { GenerationQueueProducer, JobSignals } from '@app/queue';
import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { CoalescedReads } from './coalesced-reads';
import { JobControlService } from './job-control.service';
import { type JobView, presentJob } from './job-presenter';
import { eventsSince, type JobStreamEvent, type SentState, sentBefore } from './job-stream-events';
import { JobNotFoundError } from './jobs.errors';

/** Where a job stream writes; the api's adapter frames it as Server-Sent Events. */
export interface JobStreamSink {
  /** Writes an event; false when the client is not keeping up and it was not written. */
  send(event: JobStreamEvent): boolean;
  /** Writes a comment that keeps the connection open, unless the client is not keeping up. */
  keepAlive(): void;
  /** Asks the client to reconnect after `ms` and ends the response. */
  end(retryMs?: number): void;
}

interface JobStreamTimings {
  /** A comment is sent this often, so proxies and the server's idle timeout leave the stream open. */
  keepAliveMs: number;
  /** The row (and queue position) is read again this often, in case a signal was lost. */
  rereadMs: number;
  /** A stream past the wait caps sends the current state, ends, and asks to be reopened after this long. */
  retryMs: number;
}

const TIMINGS: JobStreamTimings = { keepAliveMs: 15_000, rereadMs: 5_000, retryMs: 5_000 };

/** Reads of one job for many streams this close together share one query. */
const READ_WINDOW_MS = 20;

/**
 * A job's life as a stream of events, on any api replica: the current state first, then each
 * change the workers announce over Redis (re-read from PostgreSQL, the truth), then the terminal
 * job, and the end. Each open stream holds a wait slot like a `Prefer: wait` request.
 */
@Injectable()
export class JobStreams implements BeforeApplicationShutdown {
  private readonly logger = new Logger(JobStreams.name);
  private readonly streams = new Set<JobStream>();
  private readonly reads = new CoalescedReads((id) => this.jobs.findById(id), READ_WINDOW_MS);

  constructor(
    private readonly jobs: JobsRepository,
    private readonly queue: GenerationQueueProducer,
    private readonly signals: JobSignals,
    private readonly control: JobControlService,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
  ) {}

  /**
   * Starts streaming job `id` to `sink`; throws JobNotFoundError, before anything is written, when
   * `owner` may not see it. `lastEventId` is the id of the last event the client saw, if any.
   * Returns the function to call when the client goes away.
   */
  async open(id: string, owner: string, lastEventId: string | undefined, sink: JobStreamSink): Promise<() => void> {
    const job = await this.jobs.findOwned(id, owner);
    if (!job) throw new JobNotFoundError(id);
    const release = this.control.takeWaitSlot(owner);
    const stream = new JobStream(id, sink, {
      read: () => this.read(id, owner),
      release: release ?? (() => undefined),
      timings: TIMINGS,
      logger: this.logger,
    });
    this.streams.add(stream);
    stream.onClose(() => this.streams.delete(stream));
    if (!release) {
      await stream.sendOnce(lastEventId);
      return () => stream.close();
    }
    // Watching first, then reading: a change between the two is not missed.
    stream.onClose(await this.signals.watch(id, () => stream.refresh()));
    stream.start(lastEventId);
    return () => stream.close();
  }

  /** Ends every open stream before the server closes (which waits for them), asking clients to reconnect. */
  beforeApplicationShutdown(): void {
    for (const stream of this.streams) stream.finish(TIMINGS.retryMs);
  }

  /** The job as a client sees it (with its queue position while queued), or null once it is gone. */
  private async read(id: string, owner: string): Promise<JobView | null> {
    const job: JobEntity | null = await this.reads.get(id);
    if (job?.owner !== owner) return null;
    const position = job.status === 'queued' ? ((await this.queue.queuePositions([job])).get(id) ?? null) : null;
    return presentJob(job, this.app.publicBaseUrl, position);
  }
}

interface StreamDependencies {
  read(): Promise<JobView | null>;
  release(): void;
  timings: JobStreamTimings;
  logger: Logger;
}

/** One open stream: what it sent, its timers, and its clean-up. */
class JobStream {
  /** Until the first read, what the client's Last-Event-ID says it saw. */
  private lastEventId?: string;
  private firstRead = true;
  private sent: SentState | null = null;
  private closed = false;
  private reading = false;
  private readAgain = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly jobId: string,
    private readonly sink: JobStreamSink,
    private readonly deps: StreamDependencies,
  ) {
    this.cleanups.push(deps.release);
  }

  onClose(cleanup: () => void): void {
    if (this.closed) cleanup();
    else this.cleanups.push(cleanup);
  }

  /** Sends the current state (unless the client's Last-Event-ID says it has it), then follows the job. */
  start(lastEventId: string | undefined): void {
    if (this.closed) return;
    this.lastEventId = lastEventId;
    const { keepAliveMs, rereadMs } = this.deps.timings;
    this.timers.push(
      setInterval(() => this.sink.keepAlive(), keepAliveMs),
      setInterval(() => this.refresh(), rereadMs),
    );
    this.refresh();
  }

  /** Past the wait caps: the current state once, then the end, with a hint to come back later. */
  async sendOnce(lastEventId: string | undefined): Promise<void> {
    const view = await this.deps.read();
    if (view) for (const event of eventsSince(sentBefore(lastEventId, view), view).events) this.sink.send(event);
    this.finish(this.deps.timings.retryMs);
  }

  /** Reads the job and sends what changed; calls while a read runs are folded into one more read. */
  refresh(): void {
    if (this.closed) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    void this.sendChanges().finally(() => {
      this.reading = false;
      if (this.readAgain && !this.closed) {
        this.readAgain = false;
        this.refresh();
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  private async sendChanges(): Promise<void> {
    try {
      const view = await this.deps.read();
      if (this.closed) return;
      if (!view) return this.finish();
      if (this.firstRead) this.sent = sentBefore(this.lastEventId, view);
      this.firstRead = false;
      const { events, sent } = eventsSince(this.sent, view);
      // A client that is not keeping up misses intermediate states; the next read sends the latest.
      if (events.every((event) => this.sink.send(event))) this.sent = sent;
      if (events.some((event) => event.event === 'done')) this.finish();
    } catch (error) {
      // PostgreSQL or Redis hiccuped: the next signal or re-read tries again.
      this.deps.logger.warn({ jobId: this.jobId, err: error }, 'Could not read the job for its stream');
    }
  }

  finish(retryMs?: number): void {
    this.close();
    this.sink.end(retryMs);
  }
}
