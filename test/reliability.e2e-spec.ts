import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GENERATION_QUEUE } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { createApiApp } from '../apps/api/src/api.app';
import { createWorkerApp } from '../apps/worker/src/worker.app';
import { EnvironmentOverrides } from './support/environment-overrides';
import { useIsolatedDatabase } from './support/isolated-database';
import { type Job, JobsClient } from './support/jobs-client';
import { freePort } from './support/loopback';
import { deleteKeys } from './support/redis-keys';
import { type RunningService, startService } from './support/service';
import { TcpProxy } from './support/tcp-proxy';
import { timed } from './support/timing';

/** A worker that sweeps every 200 ms and treats every `queued`/`processing` row as a candidate. */
const EAGER_SWEEP = { SWEEP_INTERVAL_MS: '200', SWEEP_QUEUED_AGE_MS: '0', SWEEP_PROCESSING_AGE_MS: '0' };
const SMALL = { width: 24, height: 24 };

interface RunningApi {
  api: NestFastifyApplication;
  client: JobsClient;
  queue: Queue;
}

async function startApi(): Promise<RunningApi> {
  const api = await createApiApp();
  await api.listen(0, '127.0.0.1');
  return { api, client: new JobsClient(await api.getUrl()), queue: api.get<Queue>(getQueueToken(GENERATION_QUEUE)) };
}

/** A proxy the spec can cut in front of the database, and the DATABASE_URL that goes through it. */
async function proxyTheDatabase(): Promise<{ proxy: TcpProxy; url: string }> {
  const url = new URL(process.env.DATABASE_URL as string);
  const proxy = new TcpProxy(Number(url.port || 5432), url.hostname);
  url.host = `127.0.0.1:${await proxy.start()}`;
  return { proxy, url: url.toString() };
}

function waitForStatus(client: JobsClient, id: string, status: Job['status'], timeoutMs = 10_000): Promise<Job> {
  return client.waitFor(id, (job) => job.status === status, timeoutMs, status);
}

// The eager sweep takes over every unfinished row its queue prefix does not hold, so this file
// gets a database of its own: on the shared one it would take the jobs of the other e2e files.
useIsolatedDatabase('reliability');

afterAll(async () => {
  await deleteKeys(`${process.env.QUEUE_PREFIX}:*`);
  await rm(process.env.STORAGE_LOCAL_DIR as string, { recursive: true, force: true });
});

describe('Redis data loss', () => {
  const env = new EnvironmentOverrides();
  let service: RunningService;
  let client: JobsClient;

  beforeAll(async () => {
    env.set(EAGER_SWEEP);
    service = await startService();
    ({ client } = service);
  });
  afterAll(async () => {
    await service?.stop();
    env.restore();
  });

  it('is repaired by the sweep: every job still runs, exactly once, to its output', async () => {
    await service.queue.pause();
    const submitted = await Promise.all(
      Array.from({ length: 10 }, (_, index) => client.submit({ prompt: `flushed away ${index}`, input: SMALL })),
    );
    for (const job of submitted) expect(await service.queue.getJobState(job.id)).toBe('waiting');

    // What FLUSHDB does to this deployment: every key of its prefix, the paused flag included, at once.
    expect(await deleteKeys(`${process.env.QUEUE_PREFIX}:*`)).toBeGreaterThanOrEqual(submitted.length);
    expect(await service.queue.isPaused()).toBe(false);

    const finished = await Promise.all(submitted.map((job) => client.waitUntilDone(job.id, 15_000)));

    for (const job of finished) {
      expect(job).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
      expect(job.outputs).toHaveLength(1);
      const media = await client.media(job.outputs[0].url);
      expect(media.status).toBe(200);
      expect(Buffer.from(await media.arrayBuffer()).length).toBe(job.outputs[0].bytes);
    }
  });
});

describe('a processing job whose queue entry vanished', () => {
  const env = new EnvironmentOverrides();
  let service: RunningService;
  let client: JobsClient;
  let rows: DataSource;

  beforeAll(async () => {
    env.set(EAGER_SWEEP);
    service = await startService();
    ({ client } = service);
    rows = service.api.get(DataSource);
  });
  afterAll(async () => {
    await service?.stop();
    env.restore();
  });

  /** A worker took the job (row `processing`, `attempts` counted), then Redis lost the entry. */
  async function loseRunningAttempt(prompt: string, attempts: string): Promise<Job> {
    await service.queue.pause();
    try {
      const job = await client.submit({ prompt, input: SMALL });
      await rows.query(`UPDATE jobs SET status = 'processing', attempts = ${attempts} WHERE id = $1`, [job.id]);
      await (await service.queue.getJob(job.id))?.remove();
      return job;
    } finally {
      await service.queue.resume();
    }
  }

  it('goes back to the queue and succeeds on its next attempt', async () => {
    const lost = await loseRunningAttempt('vanished mid-attempt', '1');

    const job = await client.waitUntilDone(lost.id);

    expect(job).toMatchObject({ status: 'succeeded', attempts: 2, error: null });
    expect(job.outputs).toHaveLength(1);
  });

  it('fails with attempts_exhausted when it was the last attempt', async () => {
    const lost = await loseRunningAttempt('vanished on its last attempt', 'max_attempts');

    const job = await client.waitUntilDone(lost.id);

    expect(job).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: { code: 'attempts_exhausted', retryable: true },
      outputs: [],
    });
    expect(job.completedAt).not.toBeNull();
    expect(await service.queue.getJob(lost.id)).toBeUndefined();
  });
});

describe('submitting while Redis is down', () => {
  const env = new EnvironmentOverrides();
  let outage: RunningApi | undefined;
  let worker: INestApplicationContext | undefined;
  let consoleError: jest.SpyInstance | undefined;

  afterAll(async () => {
    await worker?.close();
    await outage?.api.close();
    consoleError?.mockRestore();
    env.restore();
  });

  it('answers 202 at once, and a worker started once Redis is back runs the job', async () => {
    // Every Redis connection has an error listener: a failed reconnect is one structured log line
    // per back-off step, never a raw trace that BullMQ or ioredis print with console.error.
    consoleError = jest.spyOn(console, 'error');
    env.set({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    outage = await startApi();
    env.restore();
    const { client, api } = outage;

    const [response, elapsedMs] = await timed(() =>
      client.post('/v1/generate', JSON.stringify({ prompt: 'submitted during a Redis outage', input: SMALL })),
    );
    const submitted = (await response.json()) as Job;

    expect(response.status).toBe(202);
    expect(elapsedMs).toBeLessThan(3000);
    expect(submitted).toMatchObject({ status: 'queued', attempts: 0 });
    const [row] = await api.get(DataSource).query('SELECT status FROM jobs WHERE id = $1', [submitted.id]);
    expect(row).toEqual({ status: 'queued' });

    env.set(EAGER_SWEEP);
    worker = await createWorkerApp();
    // GET /v1/status reads only PostgreSQL, so the api that cannot reach Redis still reports it.
    const job = await client.waitUntilDone(submitted.id, 10_000);

    expect(job).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    expect(job.outputs).toHaveLength(1);
    expect(consoleError).not.toHaveBeenCalled();
  });
});

describe('graceful worker shutdown', () => {
  const env = new EnvironmentOverrides();
  let running: RunningApi;
  const workers: INestApplicationContext[] = [];
  const startWorker = async (values: Record<string, string>) => {
    env.set(values);
    const worker = await createWorkerApp();
    workers.push(worker);
    return worker;
  };

  beforeAll(async () => {
    running = await startApi();
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.close();
    env.restore();
  });
  afterAll(() => running?.api.close());

  it('hands a running job back to the queue, for another worker to run', async () => {
    const { client, queue } = running;
    const workerA = await startWorker({ MOCK_LATENCY_MS: '3000', WORKER_SHUTDOWN_TIMEOUT_MS: '300' });
    const submitted = await client.submit({ prompt: 'interrupted by a deploy', input: SMALL });
    await waitForStatus(client, submitted.id, 'processing');

    const [, closeMs] = await timed(() => workerA.close());

    expect(closeMs).toBeLessThan(2000);
    expect(await client.job(submitted.id)).toMatchObject({ status: 'queued', attempts: 0, error: null, outputs: [] });
    expect(['waiting', 'delayed']).toContain(await queue.getJobState(submitted.id));

    await startWorker({ MOCK_LATENCY_MS: '20' });
    const job = await client.waitUntilDone(submitted.id);

    expect(job).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    expect(job.outputs).toHaveLength(1);
  });

  it('lets a running job finish when it ends within the shutdown timeout', async () => {
    const { client } = running;
    const worker = await startWorker({ MOCK_LATENCY_MS: '500', WORKER_SHUTDOWN_TIMEOUT_MS: '5000' });
    const submitted = await client.submit({ prompt: 'finished before the exit', input: SMALL });
    await waitForStatus(client, submitted.id, 'processing');

    const [, closeMs] = await timed(() => worker.close());

    expect(await client.job(submitted.id)).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    expect(closeMs).toBeLessThan(5000);
  });
});

describe('PostgreSQL unavailable', () => {
  const env = new EnvironmentOverrides();
  let proxy: TcpProxy;
  let running: RunningApi;
  let client: JobsClient;
  let before: Job;

  beforeAll(async () => {
    // The same database, reached through a proxy the spec can cut.
    const proxied = await proxyTheDatabase();
    proxy = proxied.proxy;
    env.set({ DATABASE_URL: proxied.url });
    running = await startApi();
    client = running.client;
    before = await client.submit({ prompt: 'before the database outage', input: SMALL });
  });
  afterAll(async () => {
    await running?.api.close();
    await proxy?.close();
    env.restore();
  });

  async function expectDatabaseUnavailable(request: () => Promise<Response>): Promise<number> {
    const [response, elapsedMs] = await timed(request);
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(await response.json()).toMatchObject({ status: 503, code: 'database_unavailable' });
    expect(elapsedMs).toBeLessThan(10_000);
    return elapsedMs;
  }
  const submitDuringOutage = () =>
    client.post('/v1/generate', JSON.stringify({ prompt: 'during the database outage', input: SMALL }));
  const readDuringOutage = () => client.get(`/v1/status/${before.id}`);

  it('answers 503 database_unavailable with Retry-After when connections are refused', async () => {
    await proxy.close();

    await expectDatabaseUnavailable(submitDuringOutage);
    await expectDatabaseUnavailable(readDuringOutage);
  });

  it('answers 503 within the connect timeout when PostgreSQL accepts but never answers', async () => {
    await proxy.start({ answer: false });
    try {
      const elapsed = await Promise.all([
        expectDatabaseUnavailable(submitDuringOutage),
        expectDatabaseUnavailable(readDuringOutage),
      ]);

      // The pool's 5 s connection timeout, not an immediate refusal.
      for (const ms of elapsed) expect(ms).toBeGreaterThanOrEqual(4000);
    } finally {
      await proxy.close();
    }
  });

  it('serves again once PostgreSQL is back, without restarting the app', async () => {
    await proxy.start();

    expect(await client.job(before.id)).toMatchObject({ id: before.id, status: 'queued' });
    const after = await client.submit({ prompt: 'after the database outage', input: SMALL });
    expect(await client.job(after.id)).toMatchObject({ status: 'queued', attempts: 0 });
  });
});

describe('PostgreSQL unavailable to the worker', () => {
  const env = new EnvironmentOverrides();
  let proxy: TcpProxy;
  let running: RunningApi;
  let worker: INestApplicationContext;
  let client: JobsClient;

  beforeAll(async () => {
    env.set({ JOB_ATTEMPTS: '2', MOCK_LATENCY_MS: '1500' });
    running = await startApi();
    client = running.client;
    // The worker reaches the same database through a proxy the spec can cut; the api does not.
    const proxied = await proxyTheDatabase();
    proxy = proxied.proxy;
    env.set({ DATABASE_URL: proxied.url });
    worker = await createWorkerApp();
  });
  afterAll(async () => {
    await worker?.close();
    await running?.api.close();
    await proxy?.close();
    env.restore();
  });

  /** The job's media folder, as a sorted list of what is in it (empty when there is no folder). */
  const filesOf = (id: string) =>
    readdir(join(process.env.STORAGE_LOCAL_DIR as string, id))
      .then((names) => names.sort())
      .catch(() => []);

  it('uses no attempt while its tries cannot start: the job still gets both of its attempts', async () => {
    await proxy.close();
    const submitted = await client.submit({
      prompt: 'submitted while the worker cannot reach PostgreSQL',
      input: { ...SMALL, fail_first_attempts: 1 },
    });
    // Long enough for the worker to find the outage on several tries (1 s, 2 s... apart).
    await sleep(3500);
    expect(await client.job(submitted.id)).toMatchObject({ status: 'queued', attempts: 0 });
    await proxy.start();

    const job = await client.waitUntilDone(submitted.id, 30_000);

    expect(job).toMatchObject({ status: 'succeeded', attempts: 2, error: null });
    expect(job.outputs).toHaveLength(1);
    expect(await filesOf(job.id)).toEqual(['attempt-2-0.png']);
  }, 40_000);

  it('gives back an attempt whose outcome could not be recorded, keeping only the winning files', async () => {
    const submitted = await client.submit({ prompt: 'outage while generating', input: { ...SMALL, num_outputs: 2 } });
    await waitForStatus(client, submitted.id, 'processing');
    // The attempt generates for 1.5 s; it cannot record anything when it ends.
    await proxy.close();
    await sleep(3000);
    await proxy.start();

    const job = await client.waitUntilDone(submitted.id, 30_000);

    expect(job).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    expect(await filesOf(job.id)).toEqual(['attempt-1-0.png', 'attempt-1-1.png']);
    for (const output of job.outputs) {
      const media = await client.media(output.url);
      expect(Buffer.from(await media.arrayBuffer()).length).toBe(output.bytes);
    }
  }, 40_000);
});
