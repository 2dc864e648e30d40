import type { StorageConfig } from '@app/config';
import type { JobsRepository } from '@app/database';
import { RetentionService } from './retention.service';
import { as, captureLogs, FakeJobsRepository, MemoryStorage, T0 } from './testing/fakes';

const DAY_MS = 86_400_000;
const NOW = T0.getTime() + 30 * DAY_MS;

describe('RetentionService.purge', () => {
  let jobs: FakeJobsRepository;
  let storage: MemoryStorage;

  function retention(days: number, deleteJobs = false) {
    return new RetentionService(
      as<JobsRepository>(jobs),
      storage,
      as<StorageConfig>({ retention: { days, deleteJobs } }),
    );
  }

  beforeEach(() => {
    jobs = new FakeJobsRepository();
    storage = new MemoryStorage();
  });

  const endedDaysAgo = (id: string, days: number) =>
    jobs.add({ id, status: 'succeeded', completedAt: new Date(NOW - days * DAY_MS), outputs: [] });

  it('removes the media of jobs that ended more than RETENTION_DAYS ago and marks their outputs expired', async () => {
    endedDaysAgo('old', 8);
    endedDaysAgo('recent', 6);
    storage.put('old/0.png');
    storage.put('recent/0.png');

    const report = await retention(7).purge(NOW);

    expect(report).toEqual({ expired: 1, deleted: 0 });
    expect(storage.keys()).toEqual(['recent/0.png']);
    expect(jobs.row('old').outputsExpiredAt).not.toBeNull();
    expect(jobs.row('recent').outputsExpiredAt).toBeNull();
  });

  it('keeps the media of a job that ended exactly RETENTION_DAYS ago', async () => {
    endedDaysAgo('edge', 7);

    expect(await retention(7).purge(NOW)).toEqual({ expired: 0, deleted: 0 });
  });

  it('works through a backlog larger than one batch of 200', async () => {
    for (let index = 0; index < 450; index += 1) endedDaysAgo(`job-${index}`, 10);

    expect(await retention(7).purge(NOW)).toEqual({ expired: 450, deleted: 0 });
    expect(storage.removed).toHaveLength(450);
  });

  it('asks for the ended jobs 200 at a time', async () => {
    const limits: number[] = [];
    jobs.findWithMediaEndedBefore = async (_cutoff, limit) => {
      limits.push(limit);
      return [];
    };

    await retention(7).purge(NOW);

    expect(limits).toEqual([200]);
  });

  it('with RETENTION_DELETE_JOBS deletes the rows of jobs that ended before the cutoff too', async () => {
    endedDaysAgo('old', 8);
    endedDaysAgo('recent', 6);

    const report = await retention(7, true).purge(NOW);

    expect(report).toEqual({ expired: 1, deleted: 1 });
    expect([...jobs.rows.keys()]).toEqual(['recent']);
  });

  it.each([0, -1])('keeps everything with RETENTION_DAYS = %i', async (days) => {
    endedDaysAgo('old', 1000);

    expect(await retention(days, true).purge(NOW)).toEqual({ expired: 0, deleted: 0 });
    expect(jobs.rows.size).toBe(1);
  });

  describe('logging', () => {
    afterEach(() => jest.restoreAllMocks());

    it.each([
      ['expired media', false, { expired: 1, deleted: 0 }],
      ['deleted rows', true, { expired: 1, deleted: 1 }],
    ])('says what it removed when it %s', async (_case, deleteJobs, report) => {
      const logs = captureLogs();
      endedDaysAgo('old', 8);

      await retention(7, deleteJobs).purge(NOW);

      expect(logs).toEqual([{ level: 'log', fields: report, message: 'Retention removed old media' }]);
    });

    it('says nothing when nothing was old enough', async () => {
      const logs = captureLogs();
      endedDaysAgo('recent', 1);

      await retention(7, true).purge(NOW);

      expect(logs).toEqual([]);
    });

    it('says what it removed when it only deleted rows whose media had expired before', async () => {
      const logs = captureLogs();
      jobs.add({ id: 'old', completedAt: new Date(NOW - 8 * DAY_MS), outputsExpiredAt: new Date(NOW - DAY_MS) });

      await retention(7, true).purge(NOW);

      expect(logs).toEqual([
        { level: 'log', fields: { expired: 0, deleted: 1 }, message: 'Retention removed old media' },
      ]);
    });
  });

  it('purges as of now by default', async () => {
    jobs.add({ id: 'old', completedAt: new Date(Date.now() - 8 * DAY_MS) });
    jobs.add({ id: 'recent', completedAt: new Date(Date.now() - 6 * DAY_MS) });

    expect(await retention(7).purge()).toEqual({ expired: 1, deleted: 0 });
  });
});
