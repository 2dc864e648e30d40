import type { AppConfig } from '@app/config';
import type { JobEntity, JobsRepository } from '@app/database';
import type { GenerationQueueProducer, JobSignals } from '@app/queue';
import { JobControlService } from './job-control.service';
import type { JobEvents } from './job-events.service';
import { JobNotFoundError } from './jobs.errors';

/** The jobs table as a map, counting the reads each waiter makes. */
class FakeJobs {
  readonly rows = new Map<string, JobEntity>();
  readsById = 0;

  add(id: string, owner: string, status: JobEntity['status']): void {
    this.rows.set(id, { id, owner, status } as JobEntity);
  }

  async findOwned(id: string, owner: string): Promise<JobEntity | null> {
    const row = this.rows.get(id);
    return row?.owner === owner ? { ...row } : null;
  }

  async findById(id: string): Promise<JobEntity | null> {
    this.readsById += 1;
    const row = this.rows.get(id);
    return row ? { ...row } : null;
  }
}

/** Finish signals delivered by hand. */
class FakeSignals {
  private readonly waiters = new Map<string, Set<() => void>>();

  async nextFinish(id: string): Promise<{ done: Promise<void>; stop(): void }> {
    let stop!: () => void;
    const done = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const set = this.waiters.get(id) ?? new Set();
    set.add(stop);
    this.waiters.set(id, set);
    return { done, stop };
  }

  announce(id: string): void {
    for (const stop of this.waiters.get(id) ?? []) stop();
    this.waiters.delete(id);
  }

  subscribed(id: string): number {
    return this.waiters.get(id)?.size ?? 0;
  }
}

function controlWith(limits: { perKey: number; total: number }) {
  const jobs = new FakeJobs();
  const signals = new FakeSignals();
  const control = new JobControlService(
    jobs as unknown as JobsRepository,
    {} as GenerationQueueProducer,
    signals as unknown as JobSignals,
    {} as JobEvents,
    { waitLimits: limits } as AppConfig,
  );
  return { jobs, signals, control };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('JobControlService.waitUntilFinished', () => {
  it('reads the job once for all the waiters a finish wakes together', async () => {
    const { jobs, signals, control } = controlWith({ perKey: 100, total: 100 });
    jobs.add('job-1', 'alice', 'processing');
    const waits = Array.from({ length: 50 }, () => control.waitUntilFinished('job-1', 'alice', 30));
    await until(() => signals.subscribed('job-1') === 50);

    jobs.add('job-1', 'alice', 'succeeded');
    signals.announce('job-1');
    const outcomes = await Promise.all(waits);

    expect(outcomes.every((outcome) => outcome.honoured && outcome.job.status === 'succeeded')).toBe(true);
    expect(jobs.readsById).toBe(1);
  });

  it('answers at once, not honoured, past the per-key cap, and honours other keys', async () => {
    const { jobs, signals, control } = controlWith({ perKey: 1, total: 10 });
    jobs.add('job-1', 'alice', 'processing');
    jobs.add('job-2', 'bob', 'processing');
    const held = control.waitUntilFinished('job-1', 'alice', 30);
    await until(() => signals.subscribed('job-1') === 1);

    await expect(control.waitUntilFinished('job-1', 'alice', 30)).resolves.toMatchObject({ honoured: false });
    const bob = control.waitUntilFinished('job-2', 'bob', 30);
    await until(() => signals.subscribed('job-2') === 1);

    signals.announce('job-1');
    signals.announce('job-2');
    expect((await held).honoured).toBe(true);
    expect((await bob).honoured).toBe(true);
  });

  it('answers at once, not honoured, past the total cap, and waits again once a slot is free', async () => {
    const { jobs, signals, control } = controlWith({ perKey: 10, total: 1 });
    jobs.add('job-1', 'alice', 'processing');
    const held = control.waitUntilFinished('job-1', 'alice', 30);
    await until(() => signals.subscribed('job-1') === 1);

    await expect(control.waitUntilFinished('job-1', 'bob', 30)).rejects.toThrow(JobNotFoundError);
    await expect(control.waitUntilFinished('job-1', 'alice', 30)).resolves.toMatchObject({ honoured: false });
    signals.announce('job-1');
    await held;

    const again = control.waitUntilFinished('job-1', 'alice', 30);
    await until(() => signals.subscribed('job-1') === 1);
    signals.announce('job-1');
    expect((await again).honoured).toBe(true);
  });

  it('needs no slot for a job that already ended', async () => {
    const { jobs, control } = controlWith({ perKey: 0, total: 0 });
    jobs.add('job-1', 'alice', 'failed');

    await expect(control.waitUntilFinished('job-1', 'alice', 30)).resolves.toMatchObject({
      honoured: true,
      job: { status: 'failed' },
    });
  });
});
