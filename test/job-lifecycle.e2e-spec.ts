import { JobsRepository } from '@app/database';
import { GenerationService } from '@app/jobs';
import { GenerationQueueProducer } from '@app/queue';
import { DataSource } from 'typeorm';
import type { JobsClient } from './support/jobs-client';
import { type RunningService, startService } from './support/service';

describe('job lifecycle guards', () => {
  let service: RunningService;
  let client: JobsClient;
  let generation: GenerationService;
  let database: DataSource;

  beforeAll(async () => {
    service = await startService();
    ({ client } = service);
    generation = service.worker.get(GenerationService);
    database = service.api.get(DataSource);
  });
  afterAll(() => service.stop());

  const finishedJob = async (prompt: string) =>
    client.waitUntilDone((await client.submit({ prompt, input: { width: 24, height: 24, seed: 3 } })).id);

  it('queues the job under its row id', async () => {
    const job = await client.submit({ prompt: 'same id' });

    const queued = await service.queue.getJob(job.id);
    const [row] = await database.query('SELECT id FROM jobs WHERE id = $1', [job.id]);

    expect(queued?.data).toEqual({ jobId: job.id });
    expect(row.id).toBe(job.id);
  });

  it('answers a submit with the job exactly as its row reads back', async () => {
    const jobs = service.api.get(JobsRepository);
    const { job, created } = await jobs.insertOnce({
      owner: 'lifecycle-owner',
      prompt: 'as stored',
      model: 'owner/model',
      input: { width: 24, nested: { list: [1, 2.5, 'three', null], flag: true }, seed: 3 },
      maxAttempts: 3,
      idempotencyKey: 'as-stored-key',
      requestFingerprint: 'as-stored-fingerprint',
      webhook: { url: 'http://127.0.0.1:9/hook', events: ['start', 'completed'] },
    });
    const stored = await jobs.findById(job.id);
    // Never queued: removed before the sweep could queue it.
    await database.query('DELETE FROM jobs WHERE id = $1', [job.id]);

    expect(created).toBe(true);
    expect(job).toStrictEqual(stored);
  });

  it('ignores a late attempt once the job is terminal', async () => {
    const done = await finishedJob('late attempt');

    await generation.runAttempt(done.id, {});

    expect(await client.job(done.id)).toEqual(done);
  });

  it('lets no older attempt overwrite the outcome of a newer one', async () => {
    const done = await finishedJob('old attempt');
    // As if attempt 1 was lost before it claimed the job: a newer attempt may begin.
    await database.query(`UPDATE jobs SET status = 'processing', outputs = '[]' WHERE id = $1`, [done.id]);
    await generation.runAttempt(done.id, {});

    const lateWrite = await service.worker
      .get(JobsRepository)
      .updateIf(done.id, { from: ['processing'], attempt: 1 }, { status: 'failed', markCompleted: true });

    expect(lateWrite).toBe(false);
    expect(await client.job(done.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('fails a job delivered again after its last attempt was lost', async () => {
    const done = await finishedJob('lost last attempt');
    await database.query(
      `UPDATE jobs SET status = 'processing', attempts = max_attempts, outputs = '[]' WHERE id = $1`,
      [done.id],
    );

    await generation.runAttempt(done.id, {});

    expect(await client.job(done.id)).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: { code: 'attempts_exhausted', retryable: true },
    });
  });

  it('re-runs an interrupted job to the same files, without duplicate outputs', async () => {
    const first = await finishedJob('interrupted');
    await database.query(`UPDATE jobs SET status = 'processing', outputs = '[]' WHERE id = $1`, [first.id]);

    await generation.runAttempt(first.id, {});
    const rerun = await client.job(first.id);

    expect(rerun).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(rerun.outputs).toEqual(first.outputs);
    expect(rerun.startedAt).toBe(first.startedAt);
  });

  it('enqueues a job id at most once', async () => {
    await service.queue.pause();
    const job = await client.submit({ prompt: 'once' });
    await service.worker.get(GenerationQueueProducer).enqueue(job.id);

    const waiting = await service.queue.getJobs(['waiting']);
    await service.queue.resume();

    expect(waiting.filter((entry) => entry.id === job.id)).toHaveLength(1);
    expect((await client.waitUntilDone(job.id)).status).toBe('succeeded');
  });
});
