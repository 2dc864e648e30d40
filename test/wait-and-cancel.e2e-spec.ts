import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GENERATION_QUEUE } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Queue } from 'bullmq';
import { createApiApp } from '../apps/api/src/api.app';
import { type LogLine, ServiceProcess, WORKER_ENTRY } from './chaos/service-processes';
import { FakeReplicate } from './fakes/fake-replicate';
import { EnvironmentOverrides } from './support/environment-overrides';
import { useIsolatedDatabase } from './support/isolated-database';
import { expectProblem, isTerminalStatus, type Job, JobsClient } from './support/jobs-client';
import { deleteKeys } from './support/redis-keys';
import { type RunningService, startService } from './support/service';
import { eventually, timed } from './support/timing';

const SMALL = { width: 16, height: 16 };
const LATENCY_MS = 800;

/** The files stored for a job (none when its folder does not exist). */
async function filesOf(mediaDir: string, jobId: string): Promise<string[]> {
  return readdir(join(mediaDir, jobId)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
}

/** Checks for `forMs` that the job keeps `status` (no late writer overwrites it). */
async function expectToStay(client: JobsClient, id: string, status: Job['status'], forMs: number): Promise<Job> {
  const until = Date.now() + forMs;
  let job = await client.job(id);
  while (Date.now() < until) {
    expect(job.status).toBe(status);
    await sleep(100);
    job = await client.job(id);
  }
  expect(job.status).toBe(status);
  return job;
}

// Queued jobs sit in a paused queue for a while: on the shared database other files' sweeps
// would take them, so the file has a database of its own.
const basePrefix = process.env.QUEUE_PREFIX as string;
const fileDatabase = useIsolatedDatabase('waitcancel');

afterAll(async () => {
  await deleteKeys(`${basePrefix}*`);
});

describe('Prefer: wait and cancel, api and worker in process (mock generator, 800 ms per attempt)', () => {
  const env = new EnvironmentOverrides();
  let service: RunningService;
  let client: JobsClient;
  let mediaDir: string;

  beforeAll(async () => {
    env.set({ MOCK_LATENCY_MS: String(LATENCY_MS) });
    service = await startService();
    client = new JobsClient(service.baseUrl);
    mediaDir = process.env.STORAGE_LOCAL_DIR as string;
  });
  afterAll(async () => {
    await service?.queue.resume();
    await service?.stop();
    env.restore();
  });

  it('holds GET /v1/status with Prefer: wait=10 until the job finishes, and answers right then', async () => {
    const job = await client.submit({ prompt: 'wait for me', input: SMALL });

    const [{ data, response }, elapsedMs] = await timed(() =>
      client.api.GET('/v1/status/{id}', { params: { path: { id: job.id }, header: { Prefer: 'wait=10' } } }),
    );
    const answeredAt = Date.now();

    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('wait=10');
    expect(data).toMatchObject({ id: job.id, status: 'succeeded', attempts: 1 });
    expect(elapsedMs).toBeGreaterThanOrEqual(LATENCY_MS - 200);
    expect(elapsedMs).toBeLessThan(3000);
    // Held until the job ended, then woken by the worker's finish signal: answered right after it.
    const sinceCompletion = answeredAt - Date.parse(data?.completedAt as string);
    expect(sinceCompletion).toBeGreaterThanOrEqual(0);
    expect(sinceCompletion).toBeLessThan(500);
  });

  it('gives up after the wait asked for, with the job as it is then', async () => {
    // Two transient failures first: three attempts of 800 ms, far longer than the 1 s asked for.
    const job = await client.submit({ prompt: 'too slow to wait for', input: { ...SMALL, fail_first_attempts: 2 } });

    const [{ data, response }, elapsedMs] = await timed(() =>
      client.api.GET('/v1/status/{id}', { params: { path: { id: job.id }, header: { Prefer: 'wait=1' } } }),
    );

    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('wait=1');
    expect(['queued', 'processing']).toContain(data?.status);
    expect(elapsedMs).toBeGreaterThanOrEqual(950);
    expect(elapsedMs).toBeLessThan(2000);
    expect(await client.waitUntilDone(job.id)).toMatchObject({ status: 'succeeded', attempts: 3 });
  });

  it('answers POST /v1/generate with Prefer: wait=5 with 200 and the finished job', async () => {
    const [{ data, response }, elapsedMs] = await timed(() =>
      client.api.POST('/v1/generate', {
        body: { prompt: 'submit and wait', input: SMALL },
        params: { header: { Prefer: 'wait=5' } },
      }),
    );

    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('wait=5');
    expect(response.headers.get('location')).toBe(`/v1/jobs/${data?.id}`);
    expect(data).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    expect(data?.outputs).toHaveLength(1);
    expect(elapsedMs).toBeGreaterThanOrEqual(LATENCY_MS - 200);
    expect(elapsedMs).toBeLessThan(3000);
    expect(Date.parse(data?.completedAt as string) - Date.parse(data?.createdAt as string)).toBeGreaterThanOrEqual(
      LATENCY_MS,
    );

    // A failure is terminal too.
    const failed = await client.api.POST('/v1/generate', {
      body: { prompt: 'submit, wait, fail', input: { ...SMALL, fail_permanently: true } },
      params: { header: { Prefer: 'wait=5' } },
    });
    expect(failed.response.status).toBe(200);
    expect(failed.data).toMatchObject({ status: 'failed', error: { retryable: false } });

    // Without the preference: 202 at once.
    const [plain, plainMs] = await timed(() =>
      client.api.POST('/v1/generate', { body: { prompt: 'no wait', input: SMALL } }),
    );
    expect(plain.response.status).toBe(202);
    expect(plain.response.headers.get('preference-applied')).toBeNull();
    expect(plain.data?.status).toBe('queued');
    expect(plainMs).toBeLessThan(LATENCY_MS);
    await client.waitUntilDone((plain.data as Job).id);
  });

  it('answers a finished job at once, and caps the wait at 60 s', async () => {
    const done = await client.waitUntilDone((await client.submit({ prompt: 'already done', input: SMALL })).id);

    const [{ data, response }, elapsedMs] = await timed(() =>
      client.api.GET('/v1/status/{id}', { params: { path: { id: done.id }, header: { Prefer: 'wait=3600' } } }),
    );

    expect(response.headers.get('preference-applied')).toBe('wait=60');
    expect(data).toEqual(done);
    expect(elapsedMs).toBeLessThan(500);
  });

  it('cancels a queued job: it leaves the queue, never runs, and wakes whoever waits for it', async () => {
    await service.queue.pause();
    const job = await client.submit({ prompt: 'canceled before it ran', input: SMALL });
    expect(await service.queue.getJobState(job.id)).toBe('waiting');
    const waiting = timed(() =>
      client.api.GET('/v1/status/{id}', { params: { path: { id: job.id }, header: { Prefer: 'wait=10' } } }),
    );
    await sleep(200);

    const canceledAt = performance.now();
    const { data, response } = await client.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id: job.id } } });

    expect(response.status).toBe(200);
    expect(data).toMatchObject({ id: job.id, status: 'canceled', attempts: 0, outputs: [], startedAt: null });
    expect(data?.completedAt).not.toBeNull();
    expect(await service.queue.getJob(job.id)).toBeUndefined();
    const [woken] = await waiting;
    expect(woken.data?.status).toBe('canceled');
    expect(performance.now() - canceledAt).toBeLessThan(1000);

    const again = await client.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id: job.id } } });
    expectProblem(again.response, again.error, 409, 'job_not_cancelable');

    // Once the queue runs again, a job submitted after it runs and ends, and the canceled one never did.
    await service.queue.resume();
    const later = await client.submit({ prompt: 'submitted after the cancel', input: SMALL });
    expect(await client.waitUntilDone(later.id)).toMatchObject({ status: 'succeeded' });
    const after = await client.job(job.id);
    expect(after).toMatchObject({ status: 'canceled', attempts: 0, outputs: [], startedAt: null, error: null });
    expect(after.completedAt).toBe(data?.completedAt);
    expect(await filesOf(mediaDir, job.id)).toEqual([]);
  });

  it('refuses to cancel what does not exist (404), an invalid id (400) and a finished job (409)', async () => {
    const unknown = await client.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id: randomUUID() } } });
    expectProblem(unknown.response, unknown.error, 404, 'job_not_found');
    const invalid = await client.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id: 'not-a-uuid' } } });
    expectProblem(invalid.response, invalid.error, 400);

    const done = await client.waitUntilDone((await client.submit({ prompt: 'too late to cancel', input: SMALL })).id);
    const late = await client.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id: done.id } } });
    expectProblem(late.response, late.error, 409, 'job_not_cancelable');
    expect(await client.job(done.id)).toEqual(done);
  });

  it('cancels a running job: the attempt stops and leaves no files', async () => {
    const job = await client.submit({ prompt: 'canceled while running', input: { ...SMALL, num_outputs: 2 } });
    await client.waitFor(job.id, (current) => current.status === 'processing', 5000, 'processing');

    const { data, response } = await client.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id: job.id } } });

    expect(response.status).toBe(200);
    expect(data).toMatchObject({ status: 'canceled', attempts: 1 });
    // Longer than the attempt would have taken: nothing overwrites the cancel.
    const after = await expectToStay(client, job.id, 'canceled', LATENCY_MS + 500);
    expect(after).toMatchObject({ status: 'canceled', attempts: 1, outputs: [] });
    expect(await filesOf(mediaDir, job.id)).toEqual([]);
    expect(
      await eventually(async () => ((await service.queue.getJobState(job.id)) === 'active' ? undefined : true)),
    ).toBe(true);
  });
});

describe('cancel across two worker processes, with the Replicate prediction canceled upstream', () => {
  const TOKEN = 'r8_wait-and-cancel-token';
  const STUCK = 'a prediction that never ends';
  const fake = new FakeReplicate({ token: TOKEN });
  const env = new EnvironmentOverrides();
  const logs: { name: string; line: LogLine }[] = [];
  let workers: ServiceProcess[] = [];
  let app: NestFastifyApplication | undefined;
  let client: JobsClient;
  let mediaDir: string;

  const logged = (msg: string, jobId?: string) =>
    logs.filter(({ line }) => line.msg === msg && (jobId === undefined || line.jobId === jobId));

  beforeAll(async () => {
    if (!existsSync(WORKER_ENTRY)) execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
    await fake.start();
    mediaDir = `${process.env.STORAGE_LOCAL_DIR}-processes`;
    const settings = {
      DATABASE_URL: fileDatabase.url,
      QUEUE_PREFIX: `${basePrefix}-processes`,
      STORAGE_LOCAL_DIR: mediaDir,
      GENERATOR: 'replicate',
      REPLICATE_API_TOKEN: TOKEN,
      REPLICATE_BASE_URL: fake.baseUrl,
      REPLICATE_POLL_INTERVAL_MS: '50',
      WORKER_CONCURRENCY: '2',
      WORKER_HEALTH_PORT: '0',
      WORKER_SHUTDOWN_TIMEOUT_MS: '2000',
    };
    env.set(settings);
    const childEnv = { ...process.env, ...settings, LOG_LEVEL: 'info' };
    workers = ['worker-1', 'worker-2'].map(
      (name) => new ServiceProcess(name, WORKER_ENTRY, childEnv, (from, line) => logs.push({ name: from, line })),
    );
    for (const worker of workers) worker.start();

    app = await createApiApp();
    await app.listen(0, '127.0.0.1');
    client = new JobsClient(await app.getUrl());
    await eventually(
      () => {
        const exited = workers.find((worker) => !worker.running);
        if (exited) throw new Error(`${exited.name} exited: ${JSON.stringify(logs.slice(-5))}`);
        const ready = logs.filter(({ line }) => line.msg?.startsWith('mediagen worker ready'));
        return ready.length === workers.length ? true : undefined;
      },
      30_000,
      'both worker processes to take jobs',
    );
  }, 90_000);

  afterAll(async () => {
    const stopped = await Promise.all(workers.map((worker) => worker.stop('SIGTERM')));
    expect(stopped.every((how) => how === 'exit 0' || how === 'not running' || how.startsWith('signal'))).toBe(true);
    await app?.get<Queue>(getQueueToken(GENERATION_QUEUE)).obliterate({ force: true });
    await app?.close();
    await fake.stop();
    env.restore();
    await rm(mediaDir, { recursive: true, force: true });
  });

  it('wakes a waiting request in this process when a worker process finishes the job', async () => {
    const { data, response } = await client.api.POST('/v1/generate', {
      body: { prompt: 'finished elsewhere' },
      params: { header: { Prefer: 'wait=10' } },
    });

    expect(response.status).toBe(200);
    expect(data).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(fake.stats('finished elsewhere').predictionsCreated).toBe(1);
  });

  it('stops the attempt on whichever worker runs it, cancels the prediction and keeps the job canceled', async () => {
    fake.script(STUCK, { outcomes: [{ status: 'stuck' }] });
    const job = await client.submit({ prompt: STUCK });
    await client.waitFor(job.id, (current) => current.status === 'processing', 10_000, 'processing');
    await eventually(() => (fake.stats(STUCK).predictionsCreated === 1 ? true : undefined), 10_000, 'a prediction');
    // Polled a few times: the attempt is really waiting on its prediction.
    await eventually(() => (fake.stats(STUCK).getRequests >= 3 ? true : undefined), 10_000, 'polls');

    const { data, response } = await client.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id: job.id } } });

    expect(response.status).toBe(200);
    expect(data).toMatchObject({ id: job.id, status: 'canceled', attempts: 1 });
    await eventually(() => (fake.stats(STUCK).cancelRequests >= 1 ? true : undefined), 5000, 'the upstream cancel');
    const [predictionId] = fake.stats(STUCK).predictionIds;
    expect(fake.prediction(predictionId)?.status).toBe('canceled');
    await eventually(() => (logged('Attempt stopped: the job was canceled', job.id).length ? true : undefined));

    const after = await expectToStay(client, job.id, 'canceled', 1500);
    expect(after).toMatchObject({ status: 'canceled', attempts: 1, outputs: [] });
    expect(isTerminalStatus(after.status)).toBe(true);
    expect(fake.stats(STUCK)).toMatchObject({ predictionsCreated: 1, cancelRequests: 1 });
    expect(await filesOf(mediaDir, job.id)).toEqual([]);
    // One worker ran the attempt and stopped it; the other only heard the cancel.
    const started = logged('Attempt started', job.id);
    const stopped = logged('Attempt stopped: the job was canceled', job.id);
    expect(started).toHaveLength(1);
    expect(stopped.map(({ name }) => name)).toEqual([started[0].name]);
  });
});
