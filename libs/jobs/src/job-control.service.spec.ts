import type { AppConfig } from '@app/config';
import type { JobsRepository } from '@app/database';
import type { GenerationQueueProducer, JobSignals } from '@app/queue';
import { JobControlService, MAX_WAIT_SECONDS } from './job-control.service';
import type { JobEvents } from './job-events.service';
import { JobNotCancelableError, JobNotFoundError } from './jobs.errors';
import { as, FakeEvents, FakeGenerationQueue, FakeJobsRepository, FakeSignals, settle } from './testing/fakes';

// A wait that never ends fails fast instead of running into the mutation tester's timeout.
jest.setTimeout(2000);

function controlWith(limits: { perKey: number; total: number }) {
  const jobs = new FakeJobsRepository();
  const signals = new FakeSignals();
  const queue = new FakeGenerationQueue();
  const events = new FakeEvents();
  const control = new JobControlService(
    as<JobsRepository>(jobs),
    as<GenerationQueueProducer>(queue),
    as<JobSignals>(signals),
    as<JobEvents>(events),
    as<AppConfig>({ waitLimits: limits }),
  );
  return { jobs, signals, queue, events, control };
}

/** A processing job of alice's, and her wait on it, subscribed to its finish. */
async function waitingOn(id: string, seconds: number) {
  const { jobs, signals, control } = controlWith({ perKey: 1, total: 1 });
  jobs.add({ id, status: 'processing' });
  const wait = control.waitUntilFinished(id, 'alice', seconds);
  await settle(() => signals.subscribed(id) === 1);
  return { jobs, signals, wait };
}

describe('JobControlService.cancel', () => {
  it.each(['queued', 'processing'] as const)(
    'cancels a %s job: row first, then the queue entry, the running attempt and the finish event',
    async (status) => {
      const { jobs, queue, signals, events, control } = controlWith({ perKey: 1, total: 1 });
      jobs.add({ status });

      const job = await control.cancel('job-1', 'alice');

      expect(job.status).toBe('canceled');
      expect(jobs.row()).toMatchObject({ status: 'canceled' });
      expect(jobs.row().completedAt).not.toBeNull();
      expect(queue.discarded).toEqual(['job-1']);
      expect(signals.cancelRequested).toEqual(['job-1']);
      expect(events.log).toEqual(['finished job-1']);
    },
  );

  it.each(['succeeded', 'failed', 'canceled'] as const)('refuses to cancel a %s job', async (status) => {
    const { jobs, queue, events, control } = controlWith({ perKey: 1, total: 1 });
    jobs.add({ status });

    const refusal = await control.cancel('job-1', 'alice').catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(JobNotCancelableError);
    expect(refusal).toMatchObject({ jobId: 'job-1', status });
    expect(queue.discarded).toEqual([]);
    expect(events.log).toEqual([]);
  });

  it('refuses, naming the status it ended in, when the job ended while it was being canceled', async () => {
    const { jobs, queue, signals, events, control } = controlWith({ perKey: 1, total: 1 });
    jobs.add({ status: 'processing' });
    jobs.changeIf = async () => {
      jobs.row().status = 'succeeded';
      return null;
    };

    const refusal = await control.cancel('job-1', 'alice').catch((error: unknown) => error);

    expect(refusal).toMatchObject({ code: 'job_not_cancelable', status: 'succeeded' });
    expect(queue.discarded).toEqual([]);
    expect(signals.cancelRequested).toEqual([]);
    expect(events.log).toEqual([]);
  });

  it("treats another key's job as unknown", async () => {
    const { jobs, control } = controlWith({ perKey: 1, total: 1 });
    jobs.add({ owner: 'bob' });

    await expect(control.cancel('job-1', 'alice')).rejects.toThrow(JobNotFoundError);
    expect(jobs.row().status).toBe('queued');
  });
});

describe('JobControlService.waitUntilFinished', () => {
  afterEach(() => jest.useRealTimers());

  it('reads the job once for all the waiters a finish wakes together', async () => {
    const { jobs, signals, control } = controlWith({ perKey: 100, total: 100 });
    jobs.add({ status: 'processing' });
    const waits = Array.from({ length: 50 }, () => control.waitUntilFinished('job-1', 'alice', 30));
    await settle(() => signals.subscribed('job-1') === 50);
    jobs.readsById = 0;

    jobs.row().status = 'succeeded';
    signals.announce('job-1');
    const outcomes = await Promise.all(waits);

    expect(outcomes.every((outcome) => outcome.honoured && outcome.job.status === 'succeeded')).toBe(true);
    expect(jobs.readsById).toBe(1);
  });

  it('answers at once, not honoured, past the per-key cap, and honours other keys', async () => {
    const { jobs, signals, control } = controlWith({ perKey: 1, total: 10 });
    jobs.add({ id: 'job-1', owner: 'alice', status: 'processing' });
    jobs.add({ id: 'job-2', owner: 'bob', status: 'processing' });
    const held = control.waitUntilFinished('job-1', 'alice', 30);
    await settle(() => signals.subscribed('job-1') === 1);

    await expect(control.waitUntilFinished('job-1', 'alice', 30)).resolves.toMatchObject({
      honoured: false,
      job: { id: 'job-1', status: 'processing' },
    });
    const bob = control.waitUntilFinished('job-2', 'bob', 30);
    await settle(() => signals.subscribed('job-2') === 1);

    signals.announce('job-1');
    signals.announce('job-2');
    expect((await held).honoured).toBe(true);
    expect((await bob).honoured).toBe(true);
  });

  it('answers at once, not honoured, past the total cap, and waits again once a slot is free', async () => {
    const { jobs, signals, control } = controlWith({ perKey: 10, total: 1 });
    jobs.add({ status: 'processing' });
    const held = control.waitUntilFinished('job-1', 'alice', 30);
    await settle(() => signals.subscribed('job-1') === 1);

    await expect(control.waitUntilFinished('job-1', 'bob', 30)).rejects.toThrow(JobNotFoundError);
    await expect(control.waitUntilFinished('job-1', 'alice', 30)).resolves.toMatchObject({ honoured: false });
    signals.announce('job-1');
    await held;

    const again = control.waitUntilFinished('job-1', 'alice', 30);
    await settle(() => signals.subscribed('job-1') === 1);
    signals.announce('job-1');
    expect((await again).honoured).toBe(true);
  });

  it('gives the slot back when the wait fails', async () => {
    const { jobs, signals, control } = controlWith({ perKey: 1, total: 1 });
    jobs.add({ status: 'processing' });
    signals.nextFinish = async () => {
      throw new Error('Redis down');
    };
    await expect(control.waitUntilFinished('job-1', 'alice', 30)).rejects.toThrow('Redis down');

    delete (signals as Partial<FakeSignals>).nextFinish;
    const again = control.waitUntilFinished('job-1', 'alice', 30);
    await settle(() => signals.subscribed('job-1') === 1);
    signals.announce('job-1');
    expect((await again).honoured).toBe(true);
  });

  it('needs no slot for a job that already ended', async () => {
    const { jobs, control } = controlWith({ perKey: 0, total: 0 });
    jobs.add({ status: 'failed' });

    await expect(control.waitUntilFinished('job-1', 'alice', 30)).resolves.toMatchObject({
      honoured: true,
      job: { status: 'failed' },
    });
  });

  it('answers at once, honoured, when asked to wait no time', async () => {
    const { jobs, signals, control } = controlWith({ perKey: 0, total: 0 });
    jobs.add({ status: 'processing' });

    await expect(control.waitUntilFinished('job-1', 'alice', 0)).resolves.toMatchObject({
      honoured: true,
      job: { status: 'processing' },
    });
    expect(signals.subscribed('job-1')).toBe(0);
  });

  it('does not wait when the job finished between the first read and the subscription', async () => {
    const { jobs, signals, control } = controlWith({ perKey: 1, total: 1 });
    jobs.add({ status: 'processing' });
    const subscribe = signals.nextFinish.bind(signals);
    signals.nextFinish = async (id) => {
      jobs.row().status = 'succeeded';
      return subscribe(id);
    };

    const outcome = await control.waitUntilFinished('job-1', 'alice', 30);

    expect(outcome).toMatchObject({ honoured: true, job: { status: 'succeeded' } });
    expect(signals.stops).toEqual(['job-1']);
  });

  it('answers with the job as it is once the asked seconds passed, and unsubscribes', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const { signals, wait } = await waitingOn('job-1', 2);

    await jest.advanceTimersByTimeAsync(1999);
    expect(signals.stops).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);

    expect(await wait).toMatchObject({ honoured: true, job: { status: 'processing' } });
    expect(signals.stops.length).toBeGreaterThan(0);
  });

  it(`waits at most ${MAX_WAIT_SECONDS} seconds however long it is asked to`, async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const { signals, wait } = await waitingOn('job-1', 3600);

    await jest.advanceTimersByTimeAsync(MAX_WAIT_SECONDS * 1000 - 1);
    expect(signals.stops).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);

    expect(await wait).toMatchObject({ honoured: true });
  });

  it('leaves no timer behind once the finish arrived', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const { signals, wait } = await waitingOn('job-1', 30);

    signals.announce('job-1');
    await jest.advanceTimersByTimeAsync(0);
    await wait;

    expect(jest.getTimerCount()).toBe(0);
  });

  it('treats the job as unknown when it was deleted by the final read', async () => {
    const { jobs, signals, wait } = await waitingOn('job-1', 30);

    jobs.rows.clear();
    signals.announce('job-1');

    await expect(wait).rejects.toThrow(JobNotFoundError);
  });

  it('treats the job as unknown when it changed hands by the final read', async () => {
    const { jobs, signals, wait } = await waitingOn('job-1', 30);

    jobs.row().owner = 'bob';
    signals.announce('job-1');

    await expect(wait).rejects.toThrow(JobNotFoundError);
  });
});
