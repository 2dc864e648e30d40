import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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

  it('are exactly the outputs of the attempt that succeeded, kept under its names and served under theirs', async () => {
    const submitted = await running.service.client.submit({
      prompt: 'two outputs',
      input: { ...SMALL, num_outputs: 2 },
    });

    const job = await running.service.client.waitUntilDone(submitted.id);

    expect(job).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(job.outputs.map((output) => output.file)).toEqual(['0.png', '1.png']);
    expect(await filesOf(job.id)).toEqual(['attempt-1-0.png', 'attempt-1-1.png']);
    const second = await running.service.client.media(job.outputs[1].url);
    const kept = await readFile(join(process.env.STORAGE_LOCAL_DIR as string, job.id, 'attempt-1-1.png'));
    expect(Buffer.from(await second.arrayBuffer()).equals(kept)).toBe(true);
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

  it.each([
    ['in its folder (staging-1-0.png)', 'staging-1-0.png'],
    ['in a staging folder (staging/attempt-1/0.png)', join('staging', 'attempt-1', '0.png')],
  ])('claimed by an older release that staged them %s, and not published, are published', async (_case, staged) => {
    const done = await running.service.client.waitUntilDone(
      (await running.service.client.submit({ prompt: `claimed by an older release: ${staged}`, input: SMALL })).id,
    );
    const folder = join(process.env.STORAGE_LOCAL_DIR as string, done.id);
    const bytes = await readFile(join(folder, 'attempt-1-0.png'));
    // As an older worker left it: outputs staged and claimed (listed without where they are kept), the row still processing.
    await mkdir(dirname(join(folder, staged)), { recursive: true });
    await rename(join(folder, 'attempt-1-0.png'), join(folder, staged));
    await running.service.api.get(DataSource).query(
      `UPDATE jobs SET status = 'processing', completed_at = NULL,
         outputs = (SELECT jsonb_agg(output - 'storedAs') FROM jsonb_array_elements(outputs) AS output)
       WHERE id = $1`,
      [done.id],
    );
    await (await running.service.queue.getJob(done.id))?.remove();

    await running.service.queue.add('generate', { jobId: done.id }, { jobId: done.id });

    const job = await running.service.client.waitUntilDone(done.id);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(await filesOf(job.id)).toEqual(['0.png']);
    const served = await running.service.client.media(job.outputs[0].url);
    expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);
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
