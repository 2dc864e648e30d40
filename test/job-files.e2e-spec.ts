import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { Job } from './support/jobs-client';
import { useService } from './support/service';
import { eventually } from './support/timing';

const SMALL = { width: 24, height: 24 };

/** What is in the job's media folder, sorted (empty when there is no folder). */
const filesOf = (id: string) =>
  readdir(join(process.env.STORAGE_LOCAL_DIR as string, id), { recursive: true })
    .then((names) => names.sort())
    .catch(() => []);

describe("a job's files", () => {
  const running = useService({ MOCK_LATENCY_MS: '1000', MAX_OUTPUTS_PER_JOB: '2', MAX_JOB_OUTPUT_BYTES: '4096' });

  async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
    await eventually(async () => ((await check()) ? true : undefined), 10_000, what);
  }

  async function startedJob(prompt: string): Promise<Job> {
    const job = await running.service.client.submit({ prompt, input: SMALL });
    await waitUntil(async () => (await running.service.client.job(job.id)).status === 'processing', 'it runs');
    return job;
  }

  /** The BullMQ delivery is over: the attempt has returned and cleaned up after itself. */
  const deliveryEnded = (id: string) =>
    waitUntil(
      async () => ['completed', 'failed'].includes(await running.service.queue.getJobState(id)),
      'the attempt ends',
    );

  const cancel = async (id: string) =>
    (await running.service.client.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id } } })).response;

  it('are exactly the outputs of the attempt that succeeded', async () => {
    const submitted = await running.service.client.submit({
      prompt: 'two outputs',
      input: { ...SMALL, num_outputs: 2 },
    });

    const job = await running.service.client.waitUntilDone(submitted.id);

    expect(job).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(await filesOf(job.id)).toEqual(['0.png', '1.png']);
  });

  it('are never written by an attempt that lost its job to a newer attempt', async () => {
    const job = await startedJob('replaced while it ran');
    // As when the attempt stalled and another worker began the next one.
    await running.service.api.get(DataSource).query('UPDATE jobs SET attempts = attempts + 1 WHERE id = $1', [job.id]);

    await deliveryEnded(job.id);

    expect(await running.service.client.job(job.id)).toMatchObject({ status: 'processing', attempts: 2, outputs: [] });
    expect(await filesOf(job.id)).toEqual([]);
    await cancel(job.id);
  });

  it('claimed by a release before the flat layout, and not published, are published from its staging folder', async () => {
    const done = await running.service.client.waitUntilDone(
      (await running.service.client.submit({ prompt: 'claimed by an older release', input: SMALL })).id,
    );
    const folder = join(process.env.STORAGE_LOCAL_DIR as string, done.id);
    const bytes = await readFile(join(folder, '0.png'));
    // As an older worker left it: outputs claimed under staging/attempt-1/, the row still processing.
    await mkdir(join(folder, 'staging', 'attempt-1'), { recursive: true });
    await rename(join(folder, '0.png'), join(folder, 'staging', 'attempt-1', '0.png'));
    await running.service.api
      .get(DataSource)
      .query("UPDATE jobs SET status = 'processing', completed_at = NULL WHERE id = $1", [done.id]);
    await (await running.service.queue.getJob(done.id))?.remove();

    await running.service.queue.add('generate', { jobId: done.id }, { jobId: done.id });

    const job = await running.service.client.waitUntilDone(done.id);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(await filesOf(job.id)).toEqual(['0.png']);
    expect((await readFile(join(folder, '0.png'))).equals(bytes)).toBe(true);
  });

  it('are all removed when the job is canceled while it runs', async () => {
    const job = await startedJob('canceled while it ran');

    const canceled = await cancel(job.id);
    await deliveryEnded(job.id);

    expect(canceled.status).toBe(200);
    expect(await running.service.client.job(job.id)).toMatchObject({ status: 'canceled', outputs: [] });
    expect(await filesOf(job.id)).toEqual([]);
  });

  it.each([
    ['too_many_outputs', { ...SMALL, num_outputs: 3 }, 'at most 2'],
    ['output_too_large', { width: 512, height: 512, num_outputs: 2 }, '4096 bytes'],
  ])('fail the job at once with %s beyond the per-job limits, leaving no file', async (code, input, message) => {
    const submitted = await running.service.client.submit({ prompt: `over the limit: ${code}`, input });

    const job = await running.service.client.waitUntilDone(submitted.id);

    expect(job).toMatchObject({ status: 'failed', attempts: 1, outputs: [], error: { code, retryable: false } });
    expect(job.error?.message).toContain(message);
    // The row says failed before the attempt has removed what it staged: wait for the attempt to end.
    await deliveryEnded(job.id);
    expect(await filesOf(job.id)).toEqual([]);
  });
});
