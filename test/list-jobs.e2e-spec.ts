import type { components, paths } from '@app/client';
import { DataSource } from 'typeorm';
import { EnvironmentOverrides } from './support/environment-overrides';
import { createIsolatedDatabase, type IsolatedDatabase } from './support/isolated-database';
import { expectProblem, type Job, JobsClient } from './support/jobs-client';
import { deleteKeys } from './support/redis-keys';
import { type RunningService, startService } from './support/service';
import { eventually } from './support/timing';

type ListQuery = NonNullable<paths['/v1/jobs']['get']['parameters']['query']>;

const MODELS = ['acme/painter', 'acme/sketcher:v2', undefined] as const;
const DEFAULT_MODEL = 'mock';
const RUN_JOBS = 240;
const QUEUED_JOBS = 10;
const LATE_JOBS = 30;

interface Row {
  id: string;
  status: string;
  model: string;
  createdAt: string;
}

// Counts must be exact, so the file has a database of its own.
const fileEnv = new EnvironmentOverrides();
let database: IsolatedDatabase;
let service: RunningService;
let client: JobsClient;
let rows: DataSource;

beforeAll(async () => {
  database = await createIsolatedDatabase('listjobs');
  fileEnv.set({ DATABASE_URL: database.url, SUBMIT_RATE_LIMIT_PER_MINUTE: '0', WORKER_CONCURRENCY: '16' });
  service = await startService();
  // Statuses comma-separated, exactly as the `next` links carry them.
  client = new JobsClient(service.baseUrl);
  rows = service.api.get(DataSource);
});

afterAll(async () => {
  await service?.stop();
  fileEnv.restore();
  await database?.drop();
  await deleteKeys(`${process.env.QUEUE_PREFIX}:*`);
});

const commaSeparated = { array: { style: 'form', explode: false } } as const;

async function listPage(query: ListQuery): Promise<components['schemas']['JobPage']> {
  const { data, error, response } = await client.api.GET('/v1/jobs', {
    params: { query },
    querySerializer: commaSeparated,
  });
  if (!data) throw new Error(`list answered ${response.status}: ${JSON.stringify(error)}`);
  return data;
}

/** The query a `next` link stands for. */
function queryOf(next: string): ListQuery {
  const url = new URL(next, 'http://next.invalid');
  expect(url.pathname).toBe('/v1/jobs');
  const params = Object.fromEntries(url.searchParams);
  return {
    ...params,
    ...(params.status !== undefined && { status: params.status.split(',') as ListQuery['status'] }),
    ...(params.limit !== undefined && { limit: Number(params.limit) }),
  };
}

/** Follows `next` from `query` until it is null; returns every page. */
async function walk(query: ListQuery, between?: () => Promise<unknown>): Promise<Job[][]> {
  const pages: Job[][] = [];
  let page = await listPage(query);
  pages.push(page.data);
  while (page.next) {
    const next = queryOf(page.next);
    [page] = await Promise.all([listPage(next), between?.()]);
    pages.push(page.data);
    expect(pages.length).toBeLessThan(100);
  }
  return pages;
}

/** What PostgreSQL holds, newest first with ties by id descending: the truth lists are checked against. */
async function truth(): Promise<Row[]> {
  const found: { id: string; status: string; model: string; created_at: Date }[] = await rows.query(
    'SELECT id, status, model, created_at FROM jobs ORDER BY created_at DESC, id DESC',
  );
  return found.map((row) => ({ ...row, createdAt: row.created_at.toISOString() }));
}

function expectNewestFirst(jobs: Job[]): void {
  for (let index = 1; index < jobs.length; index++) {
    const [before, after] = [jobs[index - 1], jobs[index]];
    const order = Date.parse(before.createdAt) - Date.parse(after.createdAt);
    if (order < 0 || (order === 0 && before.id <= after.id)) {
      throw new Error(`out of order at ${index}: ${JSON.stringify([before, after].map((j) => [j.createdAt, j.id]))}`);
    }
  }
}

const ids = (jobs: { id: string }[]) => jobs.map((job) => job.id);

function submitMany(count: number, label: string): Promise<Job[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      client.submit({
        prompt: `${label} ${index}`,
        ...(MODELS[index % 3] && { model: MODELS[index % 3] }),
        input: { width: 16, height: 16, ...(index % 5 === 0 && { fail_permanently: true }) },
      }),
    ),
  );
}

describe('GET /v1/jobs', () => {
  let old: Job[];

  beforeAll(async () => {
    // 240 jobs that run to succeeded or failed (every fifth fails for good), in batches…
    const ran: Job[] = [];
    for (let batch = 0; batch < RUN_JOBS / 40; batch++) ran.push(...(await submitMany(40, `ran ${batch}`)));
    await eventually(
      async () => {
        const [{ open }] = await rows.query(
          `SELECT count(*)::int AS open FROM jobs WHERE status IN ('queued', 'processing')`,
        );
        return open === 0 ? true : undefined;
      },
      20_000,
      'every job to end',
    );
    // Jobs submitted together often share a millisecond; make sure 20 of them do, for the id tie-break.
    await rows.query('UPDATE jobs SET created_at = (SELECT created_at FROM jobs WHERE id = $1) WHERE id = ANY($2)', [
      ran[100].id,
      ids(ran.slice(100, 120)),
    ]);
    // …and 10 that stay queued.
    await service.queue.pause();
    const queued = await submitMany(QUEUED_JOBS, 'waits');
    old = [...ran, ...queued];
  }, 45_000);

  it('pages through every job exactly once, newest first, ties broken by id descending', async () => {
    const pages = await walk({ limit: 50 });
    const listed = pages.flat();

    expect(pages.map((page) => page.length)).toEqual([50, 50, 50, 50, 50]);
    expect(new Set(ids(listed)).size).toBe(listed.length);
    expect(new Set(ids(listed))).toEqual(new Set(ids(old)));
    expectNewestFirst(listed);
    expect(ids(listed)).toEqual(ids(await truth()));
    // 20 jobs share one creation time: among them, the id decides.
    const tied = listed.filter((job) => job.createdAt === listed.find((j) => j.id === old[100].id)?.createdAt);
    expect(tied.length).toBeGreaterThanOrEqual(20);
    expect(ids(tied)).toEqual(ids(tied).sort().reverse());
  });

  it('keeps the pages being walked stable while new jobs arrive', async () => {
    const batches = [8, 8, 7, 7];
    const late: Job[] = [];
    let batch = 0;
    const insertSome = async () => {
      const size = batches[batch++] ?? 0;
      late.push(...(await submitMany(size, `late ${batch}`)));
    };

    // Every later page is fetched while a batch of new jobs is being inserted.
    const pages = await walk({ limit: 50 }, insertSome);
    const walked = pages.flat();

    expect(late).toHaveLength(LATE_JOBS);
    expect(pages).toHaveLength(5);
    expect(ids(walked)).toEqual(ids(await truth()).filter((id) => !ids(late).includes(id)));
    expect(new Set(ids(walked))).toEqual(new Set(ids(old)));

    // A new walk sees the new jobs, all of them before the older ones.
    const again = (await walk({ limit: 50 })).flat();
    expect(again).toHaveLength(old.length + LATE_JOBS);
    expect(new Set(ids(again.slice(0, LATE_JOBS)))).toEqual(new Set(ids(late)));
    expect(ids(again.slice(LATE_JOBS))).toEqual(ids(walked));
    expectNewestFirst(again);
  });

  it('filters by one status and by several, comma-separated', async () => {
    const all = await truth();
    const expected = (...statuses: string[]) => ids(all.filter((row) => statuses.includes(row.status)));
    expect(expected('failed').length).toBeGreaterThan(0);
    expect(expected('succeeded').length).toBeGreaterThan(0);

    for (const status of [
      ['failed'],
      ['succeeded'],
      ['queued'],
      ['succeeded', 'failed'],
      ['queued', 'failed'],
    ] as const) {
      const listed = (await walk({ status: [...status], limit: 37 })).flat();
      expect(ids(listed)).toEqual(expected(...status));
    }
    expect(expected('queued')).toHaveLength(QUEUED_JOBS + LATE_JOBS);
    expect((await listPage({ status: ['canceled'] })).data).toEqual([]);

    // Repeated parameters mean the same as a comma-separated list.
    const repeated = await client.api.GET('/v1/jobs', {
      params: { query: { status: ['succeeded', 'failed'], limit: 100 } },
    });
    expect(ids(repeated.data?.data ?? [])).toEqual(expected('succeeded', 'failed').slice(0, 100));
  });

  it('filters by model, alone and with a status', async () => {
    const all = await truth();
    for (const model of [MODELS[0], MODELS[1], DEFAULT_MODEL]) {
      const listed = (await walk({ model, limit: 100 })).flat();
      expect(listed.length).toBeGreaterThan(0);
      expect(ids(listed)).toEqual(ids(all.filter((row) => row.model === model)));
    }
    const failedPainters = (await walk({ model: MODELS[0], status: ['failed'], limit: 10 })).flat();
    expect(ids(failedPainters)).toEqual(ids(all.filter((row) => row.model === MODELS[0] && row.status === 'failed')));
    expect((await listPage({ model: 'nobody/uses-this' })).data).toEqual([]);
  });

  it('filters by creation time: createdAfter and createdBefore are exclusive and combine', async () => {
    const all = await truth();
    const newer = all[60].createdAt;
    const older = all[200].createdAt;

    const after = (await walk({ createdAfter: newer, limit: 100 })).flat();
    const before = (await walk({ createdBefore: older, limit: 100 })).flat();
    const between = (await walk({ createdAfter: older, createdBefore: newer, limit: 100 })).flat();

    expect(ids(after)).toEqual(ids(all.filter((row) => row.createdAt > newer)));
    expect(ids(before)).toEqual(ids(all.filter((row) => row.createdAt < older)));
    expect(ids(between)).toEqual(ids(all.filter((row) => row.createdAt > older && row.createdAt < newer)));
    expect(after.length + before.length + between.length).toBeLessThan(all.length);
    expect(between.length).toBeGreaterThan(0);
  });

  it('refuses a page size over 100, or under 1', async () => {
    for (const limit of [101, 1000, 0]) {
      const { response, error } = await client.api.GET('/v1/jobs', { params: { query: { limit } } });
      const problem = expectProblem(response, error, 400, 'validation_failed');
      expect(problem.errors).toEqual([expect.objectContaining({ field: 'limit' })]);
    }
    expect((await listPage({ limit: 100 })).data).toHaveLength(100);
  });

  it('refuses a cursor it did not give out', async () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    for (const cursor of [
      'garbage',
      'not a cursor!',
      b64('2026-01-01T00:00:00.000Z|not-a-uuid'),
      b64('yesterday|0b9f6c1e-8d7a-4d6e-9a53-2f0c1f1e2a3b'),
      'x'.repeat(300),
    ]) {
      const { response, error } = await client.api.GET('/v1/jobs', { params: { query: { cursor } } });
      expectProblem(response, error, 400, /^(invalid_cursor|validation_failed)$/);
    }
  });

  it('refuses an unknown status', async () => {
    const { response, error } = await client.api.GET('/v1/jobs', {
      params: { query: { status: ['succeeded', 'done' as 'succeeded'] } },
      querySerializer: commaSeparated,
    });
    const problem = expectProblem(response, error, 400, 'validation_failed');
    expect(problem.errors).toEqual([expect.objectContaining({ field: 'status' })]);
  });
});
