import { createHash } from 'node:crypto';
import type { JobProgress } from '@app/client';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApiApp } from '../apps/api/src/api.app';
import { type EventStream, jobOf, openEventStream, type StreamEvent } from './support/event-stream';
import { JobsClient } from './support/jobs-client';
import { useService } from './support/service';

const ALICE = 'alice-secret-key';
const BOB = 'bob-secret-key';
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

const progressOf = (events: StreamEvent[]) =>
  events.filter((event) => event.event === 'progress').map((event) => event.data as JobProgress);

/** Waits for the server to end the stream, and fails if it does not. */
async function untilEnded(stream: EventStream, timeoutMs = 20_000): Promise<StreamEvent[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the stream did not end: ${JSON.stringify(stream.events)}`)), timeoutMs);
  });
  try {
    await Promise.race([stream.ended, timeout]);
  } finally {
    clearTimeout(timer);
  }
  return stream.events;
}

// The mock works for 4 s in 20 steps; progress is written at most once a second.
describe('watching a job live: GET /v1/jobs/{id}/events', () => {
  const running = useService({
    MOCK_LATENCY_MS: '4000',
    API_KEYS: `alice:${sha256(ALICE)},bob:${sha256(BOB)}`,
  });
  let alice: JobsClient;

  beforeAll(() => {
    alice = new JobsClient(running.service.baseUrl, ALICE);
  });

  it('streams the current state, then progress at most once a second with rising percent, then the terminal job, and ends', async () => {
    const job = await alice.submit({ prompt: 'a fox, watched' });
    const stream = await openEventStream(alice, job.id);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers.get('cache-control')).toBe('no-cache, no-transform');

    const events = await untilEnded(stream);

    expect(events[0].event).toBe('status');
    expect(jobOf(events[0])).toMatchObject({ id: job.id });
    const progress = progressOf(events);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    const percents = progress.map((update) => update.percent as number);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.some((percent) => percent > 0 && percent < 100)).toBe(true);
    for (const update of progress) expect(update.message).toMatch(/^step \d+\/20$/);
    const progressTimes = events.filter((event) => event.event === 'progress').map((event) => event.at);
    for (let index = 1; index < progressTimes.length; index++) {
      expect(progressTimes[index] - progressTimes[index - 1]).toBeGreaterThanOrEqual(900);
    }
    const last = events.at(-1) as StreamEvent;
    expect(last.event).toBe('done');
    expect(jobOf(last)).toMatchObject({ id: job.id, status: 'succeeded', progress: null });
    expect(jobOf(last).outputs).toHaveLength(1);
    expect(events.filter((event) => event.event === 'done')).toHaveLength(1);
    // Every event names the state it carries, for Last-Event-ID.
    for (const event of events) expect(event.id).toMatch(/^\d+-\d*$/);
  });

  it('shows a retry: processing, queued again with the last error, processing, and keeps the failed attempt in the history', async () => {
    const job = await alice.submit({ prompt: 'a fox, retried', input: { fail_first_attempts: 1 } });
    const stream = await openEventStream(alice, job.id);
    const events = await untilEnded(stream, 30_000);

    const statuses = events
      .filter((event) => event.event !== 'progress')
      .map((event) => `${jobOf(event).status}:${jobOf(event).attempts}`);
    expect(statuses).toEqual(expect.arrayContaining(['processing:1', 'queued:1', 'processing:2', 'succeeded:2']));
    const retrying = events.find((event) => event.event === 'status' && jobOf(event).status === 'queued');
    expect(jobOf(retrying as StreamEvent).error).toMatchObject({ code: 'upstream_unavailable', retryable: true });

    const done = jobOf(events.at(-1) as StreamEvent);
    expect(done.error).toBeNull();
    expect(done.attemptHistory).toEqual([
      {
        attempt: 1,
        startedAt: expect.any(String),
        endedAt: expect.any(String),
        error: { code: 'upstream_unavailable', message: 'The mock generator failed attempt 1', retryable: true },
      },
      { attempt: 2, startedAt: expect.any(String), endedAt: expect.any(String), error: null },
    ]);
    const [first, second] = done.attemptHistory;
    expect(Date.parse(first.startedAt)).toBeLessThanOrEqual(Date.parse(first.endedAt as string));
    expect(Date.parse(first.endedAt as string)).toBeLessThanOrEqual(Date.parse(second.startedAt));
    // The status route tells the same story.
    expect((await alice.job(job.id)).attemptHistory).toEqual(done.attemptHistory);
  });

  describe('on a second api process (same database and Redis prefix)', () => {
    let second: NestFastifyApplication;
    beforeAll(async () => {
      second = await createApiApp();
      await second.listen(0, '127.0.0.1');
    });
    afterAll(() => second.close());

    it('a subscriber sees the same events as one on the first', async () => {
      const job = await alice.submit({ prompt: 'a fox, seen twice' });
      const [here, there] = await Promise.all([
        openEventStream(alice, job.id),
        openEventStream(new JobsClient(await second.getUrl(), ALICE), job.id),
      ]);
      const [hereEvents, thereEvents] = await Promise.all([untilEnded(here), untilEnded(there)]);

      expect(progressOf(thereEvents).length).toBeGreaterThanOrEqual(3);
      const ids = (events: StreamEvent[]) => events.filter((event) => event.event === 'progress').map((e) => e.id);
      // One may have subscribed a moment later (its first state then carried the first progress).
      expect(ids(thereEvents).slice(-3)).toEqual(ids(hereEvents).slice(-3));
      expect(thereEvents.at(-1)).toMatchObject({ event: 'done', data: (hereEvents.at(-1) as StreamEvent).data });
    });

    it('when an api process shuts down, its streams end at once instead of holding the shutdown up', async () => {
      const leaving = await createApiApp();
      await leaving.listen(0, '127.0.0.1');
      const job = await alice.submit({ prompt: 'a fox, left behind' });
      const stream = await openEventStream(new JobsClient(await leaving.getUrl(), ALICE), job.id);
      await alice.waitFor(job.id, () => stream.events.length > 0, 5000, 'a first event');
      const started = Date.now();
      await leaving.close();
      await untilEnded(stream, 2000);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(stream.events.every((event) => event.event !== 'done')).toBe(true);
    });
  });

  it('answers 404 to another key and 401 without one, as problems, and streams nothing', async () => {
    const job = await alice.submit({ prompt: 'a fox, private' });
    const bob = await openEventStream(new JobsClient(running.service.baseUrl, BOB), job.id);
    expect(bob.status).toBe(404);
    expect(bob.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    await bob.ended;
    expect(bob.events).toEqual([]);
    const nobody = await openEventStream(new JobsClient(running.service.baseUrl), job.id);
    expect(nobody.status).toBe(401);
    await nobody.ended;
  });

  it("sends an ended job's terminal state at once and ends", async () => {
    const job = await alice.submit({ prompt: 'a fox, already done', input: { fail_permanently: true } });
    await alice.waitUntilDone(job.id);
    const stream = await openEventStream(alice, job.id);
    const events = await untilEnded(stream, 5000);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event: 'done', data: { id: job.id, status: 'failed' } });
  });

  it('shows how many jobs wait ahead of a queued one', async () => {
    await running.service.queue.pause();
    try {
      const jobs = [];
      for (const prompt of ['first in line', 'second in line', 'third in line']) {
        jobs.push(await alice.submit({ prompt }));
      }
      const positions = await Promise.all(jobs.map(async (job) => (await alice.job(job.id)).queuePosition));
      expect(positions).toEqual([0, 1, 2]);
      const listed = (await alice.api.GET('/v1/jobs', { params: { query: { status: ['queued'] } } })).data?.data ?? [];
      expect(listed.map((job) => job.queuePosition)).toEqual([2, 1, 0]);

      const stream = await openEventStream(alice, jobs[2].id);
      await alice.waitFor(jobs[2].id, () => stream.events.length > 0, 5000, 'a first event');
      expect(stream.events[0]).toMatchObject({ event: 'status', data: { status: 'queued', queuePosition: 2 } });
      await running.service.queue.resume();
      const events = await untilEnded(stream);
      expect(events.map((event) => event.event)).toEqual(expect.arrayContaining(['status', 'progress', 'done']));
      expect(jobOf(events.at(-1) as StreamEvent)).toMatchObject({ status: 'succeeded', queuePosition: null });
    } finally {
      await running.service.queue.resume();
    }
  });
});
