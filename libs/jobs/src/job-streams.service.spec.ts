import { setTimeout as sleep } from 'node:timers/promises';
import type { AppConfig } from '@app/config';
import type { JobsRepository } from '@app/database';
import type { GenerationQueueProducer, JobSignals } from '@app/queue';
import type { JobControlService } from './job-control.service';
import { presentJob } from './job-presenter';
import { type JobStreamEvent, stateId } from './job-stream-events';
import { type JobStreamSink, JobStreams } from './job-streams.service';
import { JobNotFoundError } from './jobs.errors';
import { as, captureLogs, FakeGenerationQueue, FakeJobsRepository, FakeSignals } from './testing/fakes';

const BASE_URL = 'https://media.example';

/** What a stream wrote: events, keep-alive comments, its end (with the retry hint). */
class RecordingSink implements JobStreamSink {
  readonly events: JobStreamEvent[] = [];
  keepAlives = 0;
  ended: { retryMs: number | undefined }[] = [];
  keepingUp = true;

  send(event: JobStreamEvent): boolean {
    if (!this.keepingUp) return false;
    this.events.push(event);
    return true;
  }

  keepAlive(): void {
    this.keepAlives += 1;
  }

  end(retryMs?: number): void {
    this.ended.push({ retryMs });
  }

  kinds(): string[] {
    return this.events.map((event) => event.event);
  }
}

/** Polls (on real time, like the 20 ms window reads are coalesced over, which fake timers leave alone) until `condition` holds, failing after a second. */
async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited >= 1000) throw new Error('until: the condition never held');
    await sleep(5);
  }
}

/** Lets a read that may (wrongly) happen take place before asserting it did not. */
const quiet = () => sleep(60);

jest.setTimeout(3000);

describe('JobStreams', () => {
  let jobs: FakeJobsRepository;
  let queue: FakeGenerationQueue;
  let signals: FakeSignals;
  let slots: { taken: string[]; released: number; available: boolean };
  let streams: JobStreams;
  let sink: RecordingSink;

  beforeEach(() => {
    jobs = new FakeJobsRepository();
    queue = new FakeGenerationQueue();
    signals = new FakeSignals();
    slots = { taken: [], released: 0, available: true };
    const control = {
      takeWaitSlot: (owner: string) => {
        if (!slots.available) return null;
        slots.taken.push(owner);
        return () => {
          slots.released += 1;
        };
      },
    };
    streams = new JobStreams(
      as<JobsRepository>(jobs),
      as<GenerationQueueProducer>(queue),
      as<JobSignals>(signals),
      as<JobControlService>(control),
      as<AppConfig>({ publicBaseUrl: BASE_URL }),
    );
    sink = new RecordingSink();
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  const view = (id = 'job-1', position: number | null = null) => presentJob(jobs.row(id), BASE_URL, position);

  it("refuses another key's job, or an unknown one, before writing anything or taking a wait slot", async () => {
    jobs.add({ owner: 'bob' });

    for (const id of ['job-1', 'job-2']) {
      const refusal = await streams.open(id, 'alice', undefined, sink).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(JobNotFoundError);
      expect(refusal).toMatchObject({ jobId: id });
    }
    expect(sink.events).toEqual([]);
    expect(sink.ended).toEqual([]);
    expect(slots.taken).toEqual([]);
    expect(signals.watching('job-1')).toBe(0);
  });

  it('sends the current state first, with the queue position of a queued job, and holds a wait slot', async () => {
    jobs.add({ status: 'queued' });
    queue.positions.set('job-1', 3);

    const close = await streams.open('job-1', 'alice', undefined, sink);
    await until(() => sink.events.length === 1);

    expect(sink.events).toEqual([{ event: 'status', id: stateId(view('job-1', 3)), data: view('job-1', 3) }]);
    expect(queue.positionAsks).toEqual([['job-1']]);
    expect(slots.taken).toEqual(['alice']);
    expect(signals.watching('job-1')).toBe(1);
    close();
  });

  it('shows no queue position for a queued job the queue does not hold', async () => {
    jobs.add({ status: 'queued' });

    const close = await streams.open('job-1', 'alice', undefined, sink);
    await until(() => sink.events.length === 1);

    expect(sink.events[0].data).toMatchObject({ queuePosition: null });
    close();
  });

  it('asks no queue position for a job that is not queued', async () => {
    jobs.add({ status: 'processing', attempts: 1 });

    const close = await streams.open('job-1', 'alice', undefined, sink);
    await until(() => sink.events.length === 1);

    expect(sink.events[0].data).toMatchObject({ status: 'processing', queuePosition: null });
    expect(queue.positionAsks).toEqual([]);
    close();
  });

  it('skips the first state when the Last-Event-ID says the client has it, then follows the job', async () => {
    const job = jobs.add({ status: 'processing', attempts: 1 });
    const close = await streams.open('job-1', 'alice', stateId(view()), sink);
    await quiet();
    expect(sink.events).toEqual([]);

    job.progress = { percent: 40, message: null, updatedAt: '2026-11-30T10:00:05.000Z' };
    signals.change('job-1');
    await until(() => sink.events.length === 1);

    expect(sink.events).toEqual([{ event: 'progress', id: stateId(view()), data: job.progress }]);
    close();
  });

  it('sends each change a signal announces, re-read from the row, and the end once the job is terminal', async () => {
    const job = jobs.add({ status: 'queued' });
    await streams.open('job-1', 'alice', undefined, sink);
    await until(() => sink.events.length === 1);

    job.status = 'processing';
    job.attempts = 1;
    signals.change('job-1');
    await until(() => sink.events.length === 2);
    expect(sink.events[1]).toEqual({ event: 'status', id: stateId(view()), data: view() });

    job.status = 'succeeded';
    signals.change('job-1');
    await until(() => sink.ended.length === 1);

    expect(sink.kinds()).toEqual(['status', 'status', 'done']);
    expect(sink.events[2]).toEqual({ event: 'done', id: stateId(view()), data: view() });
    expect(sink.ended).toEqual([{ retryMs: undefined }]);
    expect(slots.released).toBe(1);
    expect(signals.watching('job-1')).toBe(0);
  });

  it('sends nothing for a signal that changed nothing the client sees', async () => {
    jobs.add({ status: 'processing', attempts: 1 });
    const close = await streams.open('job-1', 'alice', undefined, sink);
    await until(() => sink.events.length === 1);
    const reads = jobs.readsById;

    signals.change('job-1');
    await until(() => jobs.readsById === reads + 1);
    await quiet();

    expect(sink.events).toHaveLength(1);
    close();
  });

  it('ends the stream at once for a job that ended before it opened', async () => {
    jobs.add({ status: 'failed', attempts: 3 });

    await streams.open('job-1', 'alice', stateId(view()), sink);
    await until(() => sink.ended.length === 1);

    expect(sink.kinds()).toEqual(['done']);
    expect(slots.released).toBe(1);
  });

  it('ends the stream when the job is gone, or is no longer the caller’s', async () => {
    jobs.add({ id: 'job-1', status: 'processing', attempts: 1 });
    jobs.add({ id: 'job-2', status: 'processing', attempts: 1 });
    const other = new RecordingSink();
    await streams.open('job-1', 'alice', undefined, sink);
    await streams.open('job-2', 'alice', undefined, other);
    await until(() => sink.events.length === 1 && other.events.length === 1);

    jobs.rows.delete('job-1');
    jobs.row('job-2').owner = 'bob';
    signals.change('job-1');
    signals.change('job-2');
    await until(() => sink.ended.length === 1 && other.ended.length === 1);

    expect(sink.ended).toEqual([{ retryMs: undefined }]);
    expect(other.ended).toEqual([{ retryMs: undefined }]);
    expect(sink.events).toHaveLength(1);
    expect(other.events).toHaveLength(1);
    expect(slots.released).toBe(2);
  });

  it('stops when the client goes away: no more events, its wait slot released once, no longer watching', async () => {
    const job = jobs.add({ status: 'queued' });
    const close = await streams.open('job-1', 'alice', undefined, sink);
    await until(() => sink.events.length === 1);

    close();
    close();
    job.status = 'succeeded';
    signals.change('job-1');
    await quiet();

    expect(sink.events).toHaveLength(1);
    expect(sink.ended).toEqual([]);
    expect(slots.released).toBe(1);
    expect(signals.watching('job-1')).toBe(0);
  });

  it('sends nothing from a read that returns after the client went away', async () => {
    jobs.add({ status: 'queued' });
    const close = await streams.open('job-1', 'alice', undefined, sink);

    close();
    await quiet();

    expect(sink.events).toEqual([]);
    expect(sink.ended).toEqual([]);
  });

  it('folds the signals that arrive during a read into one more read', async () => {
    const job = jobs.add({ status: 'queued' });
    const close = await streams.open('job-1', 'alice', undefined, sink);
    await until(() => sink.events.length === 1);
    let releaseRead!: () => void;
    const original = jobs.findById.bind(jobs);
    jobs.findById = async (id) => {
      const row = await original(id);
      await new Promise<void>((resolve) => {
        releaseRead = resolve;
      });
      return row;
    };

    signals.change('job-1');
    await until(() => releaseRead !== undefined);
    job.status = 'processing';
    signals.change('job-1');
    signals.change('job-1');
    const reads = jobs.readsById;
    jobs.findById = original;
    releaseRead();
    await until(() => sink.events.length === 2);
    await quiet();

    expect(jobs.readsById).toBe(reads + 1);
    expect(sink.events[1].data).toMatchObject({ status: 'processing' });
    close();
  });

  it('sends the latest state again to a client that could not keep up', async () => {
    const job = jobs.add({ status: 'queued' });
    const close = await streams.open('job-1', 'alice', undefined, sink);
    await until(() => sink.events.length === 1);

    sink.keepingUp = false;
    job.status = 'processing';
    signals.change('job-1');
    await quiet();
    sink.keepingUp = true;
    signals.change('job-1');
    await until(() => sink.events.length === 2);

    expect(sink.events[1]).toMatchObject({ event: 'status', data: { status: 'processing' } });
    close();
  });

  it('keeps the stream open when a read fails, saying so, and tries again on the next signal', async () => {
    const logs = captureLogs();
    jobs.add({ status: 'queued' });
    const failure = new Error('connect ECONNREFUSED');
    const original = jobs.findById.bind(jobs);
    jobs.findById = async () => {
      throw failure;
    };

    const close = await streams.open('job-1', 'alice', undefined, sink);
    await until(() => logs.length === 1);
    expect(logs).toEqual([
      { level: 'warn', fields: { jobId: 'job-1', err: failure }, message: 'Could not read the job for its stream' },
    ]);
    expect(sink.ended).toEqual([]);

    jobs.findById = original;
    signals.change('job-1');
    await until(() => sink.events.length === 1);
    close();
  });

  describe('past the wait caps', () => {
    beforeEach(() => {
      slots.available = false;
    });

    it('sends the current state once and ends, asking the client to come back in 5 seconds', async () => {
      jobs.add({ status: 'queued' });
      queue.positions.set('job-1', 7);

      await streams.open('job-1', 'alice', undefined, sink);

      expect(sink.events).toEqual([{ event: 'status', id: stateId(view('job-1', 7)), data: view('job-1', 7) }]);
      expect(sink.ended).toEqual([{ retryMs: 5000 }]);
      expect(signals.watching('job-1')).toBe(0);
    });

    it('sends nothing the Last-Event-ID says the client has, and still ends', async () => {
      jobs.add({ status: 'processing', attempts: 1 });

      await streams.open('job-1', 'alice', stateId(view()), sink);

      expect(sink.events).toEqual([]);
      expect(sink.ended).toEqual([{ retryMs: 5000 }]);
    });

    it('only ends when the job vanished meanwhile', async () => {
      jobs.add({ status: 'processing', attempts: 1 });
      const original = jobs.findById.bind(jobs);
      jobs.findById = async (id) => {
        jobs.rows.clear();
        return original(id);
      };

      const close = await streams.open('job-1', 'alice', undefined, sink);
      close();

      expect(sink.events).toEqual([]);
      expect(sink.ended).toEqual([{ retryMs: 5000 }]);
    });
  });

  describe('timers', () => {
    beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));

    it('writes a keep-alive comment every 15 seconds, and none once the client went away', async () => {
      jobs.add({ status: 'queued' });
      const close = await streams.open('job-1', 'alice', undefined, sink);

      await jest.advanceTimersByTimeAsync(14_999);
      expect(sink.keepAlives).toBe(0);
      await jest.advanceTimersByTimeAsync(1);
      expect(sink.keepAlives).toBe(1);
      await jest.advanceTimersByTimeAsync(15_000);
      expect(sink.keepAlives).toBe(2);

      close();
      await jest.advanceTimersByTimeAsync(30_000);
      expect(sink.keepAlives).toBe(2);
    });

    it('reads the row again every 5 seconds, in case a signal was lost', async () => {
      const job = jobs.add({ status: 'queued' });
      const close = await streams.open('job-1', 'alice', undefined, sink);
      await until(() => sink.events.length === 1);

      job.status = 'processing';
      await jest.advanceTimersByTimeAsync(4_999);
      await quiet();
      expect(sink.events).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(1);
      await until(() => sink.events.length === 2);

      close();
      job.status = 'succeeded';
      await jest.advanceTimersByTimeAsync(10_000);
      await quiet();
      expect(sink.events).toHaveLength(2);
    });
  });

  it('ends every open stream at shutdown, asking clients to reconnect in 5 seconds', async () => {
    jobs.add({ id: 'job-1', status: 'queued' });
    jobs.add({ id: 'job-2', status: 'processing', attempts: 1 });
    const other = new RecordingSink();
    await streams.open('job-1', 'alice', undefined, sink);
    await streams.open('job-2', 'alice', undefined, other);

    streams.beforeApplicationShutdown();
    streams.beforeApplicationShutdown();

    expect(sink.ended).toEqual([{ retryMs: 5000 }]);
    expect(other.ended).toEqual([{ retryMs: 5000 }]);
    expect(slots.released).toBe(2);
  });
});
