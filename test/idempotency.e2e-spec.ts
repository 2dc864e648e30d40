import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { expectProblem, type Job, JobsClient } from './support/jobs-client';
import { deleteKeys } from './support/redis-keys';
import { useService } from './support/service';

const SMALL = { width: 16, height: 16 };

/** A key no other run (nor any other spec file on the shared database) uses. */
const freshKey = (label: string) => `${label}-${randomUUID()}`;

// The file's hooks run after the describe's, so this runs once the service stopped.
afterAll(() => deleteKeys(`${process.env.QUEUE_PREFIX}:*`));

describe('Idempotency-Key on POST /v1/generate', () => {
  const running = useService();
  let client: JobsClient;
  let rows: DataSource;
  let queue: Queue;

  beforeAll(() => {
    client = new JobsClient(running.service.baseUrl);
    rows = running.service.api.get(DataSource);
    queue = running.service.queue;
  });

  function submit(key: string | undefined, body: { prompt: string; model?: string; input?: Record<string, unknown> }) {
    return client.api.POST('/v1/generate', {
      body,
      params: { header: key === undefined ? {} : { 'Idempotency-Key': key } },
    });
  }

  async function rowsWithKey(key: string): Promise<string[]> {
    const found: { id: string }[] = await rows.query('SELECT id FROM jobs WHERE idempotency_key = $1', [key]);
    return found.map((row) => row.id);
  }

  /** Every BullMQ job of the generation queue, whatever its state (this file has its own queue prefix). */
  async function queuedJobIds(): Promise<string[]> {
    const jobs = await queue.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized']);
    return jobs.map((job) => job.data.jobId as string);
  }

  it('replays the same request under the same key: same job, Idempotent-Replayed, one row, one queue entry', async () => {
    const key = freshKey('replay');
    const body = { prompt: 'an idempotent fox', input: { ...SMALL, seed: 3 } };
    const before = await queuedJobIds();

    const first = await submit(key, body);
    const replay = await submit(key, body);

    expect(first.response.status).toBe(202);
    expect(first.response.headers.get('idempotent-replayed')).toBeNull();
    expect([200, 202]).toContain(replay.response.status);
    expect(replay.response.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.data?.id).toBe(first.data?.id);
    expect(replay.response.headers.get('location')).toBe(`/v1/jobs/${first.data?.id}`);
    expect(await rowsWithKey(key)).toEqual([first.data?.id]);
    const added = (await queuedJobIds()).filter((id) => !before.includes(id));
    expect(added).toEqual([first.data?.id]);

    // Once the job is over, a replay answers 200 with the terminal job.
    const done = await client.waitUntilDone((first.data as Job).id);
    const late = await submit(key, body);
    expect(late.response.status).toBe(200);
    expect(late.response.headers.get('idempotent-replayed')).toBe('true');
    expect(late.data).toEqual(done);
  });

  it('refuses the same key with a different request: 422 idempotency_key_reused', async () => {
    const key = freshKey('reused');
    const original = await submit(key, { prompt: 'the original', input: SMALL });
    expect(original.response.status).toBe(202);

    for (const other of [
      { prompt: 'another prompt', input: SMALL },
      { prompt: 'the original', input: { ...SMALL, seed: 9 } },
      { prompt: 'the original', model: 'acme/other-model', input: SMALL },
    ]) {
      const { response, error } = await submit(key, other);
      const problem = expectProblem(response, error, 422, 'idempotency_key_reused');
      expect(problem.detail).toContain(original.data?.id);
      expect(response.headers.get('idempotent-replayed')).toBeNull();
    }
    expect(await rowsWithKey(key)).toEqual([original.data?.id]);
    await client.waitUntilDone((original.data as Job).id);
  });

  it('treats bodies that differ only in JSON key order as the same request', async () => {
    const key = freshKey('order');
    const first = await submit(key, { prompt: 'ordered keys', input: { width: 16, height: 24, seed: 5 } });
    const reordered = await submit(key, { input: { seed: 5, height: 24, width: 16 }, prompt: 'ordered keys' });

    expect(first.response.status).toBe(202);
    expect([200, 202]).toContain(reordered.response.status);
    expect(reordered.response.headers.get('idempotent-replayed')).toBe('true');
    expect(reordered.data?.id).toBe(first.data?.id);
    await client.waitUntilDone((first.data as Job).id);
  });

  it('creates exactly one job for 20 concurrent requests with one key', async () => {
    const key = freshKey('concurrent');
    const body = { prompt: 'twenty at once', input: SMALL };
    const before = await queuedJobIds();

    const answers = await Promise.all(Array.from({ length: 20 }, () => submit(key, body)));

    const ids = new Set(answers.map((answer) => answer.data?.id));
    expect(ids.size).toBe(1);
    const [id] = ids;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    for (const { response } of answers) expect([200, 202]).toContain(response.status);
    const fresh = answers.filter((answer) => answer.response.headers.get('idempotent-replayed') === null);
    expect(fresh).toHaveLength(1);
    expect(fresh[0].response.status).toBe(202);
    expect(await rowsWithKey(key)).toEqual([id]);
    expect((await queuedJobIds()).filter((queued) => !before.includes(queued))).toEqual([id]);
    expect(await client.waitUntilDone(id as string)).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('rejects an invalid key with a 400 naming Idempotency-Key, and creates nothing', async () => {
    const prompt = `bad key ${randomUUID()}`;

    for (const key of ['k'.repeat(256), 'x'.repeat(300), 'has space', 'tab\there', '']) {
      const { response, error } = await submit(key, { prompt, input: SMALL });
      const problem = expectProblem(response, error, 400, 'validation_failed');
      expect(problem.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
    }
    expect(await rows.query('SELECT id FROM jobs WHERE prompt = $1', [prompt])).toEqual([]);

    // The longest valid key is 255 visible characters.
    const longest = `${freshKey('max')}-`.padEnd(255, 'k');
    const accepted = await submit(longest, { prompt, input: SMALL });
    expect(accepted.response.status).toBe(202);
    expect(await rowsWithKey(longest)).toEqual([accepted.data?.id]);
    await client.waitUntilDone((accepted.data as Job).id);
  });

  it('makes different jobs for different keys, and for no key at all', async () => {
    const body = { prompt: 'same body, different keys', input: SMALL };

    const answers = [
      await submit(freshKey('a'), body),
      await submit(freshKey('b'), body),
      await submit(undefined, body),
      await submit(undefined, body),
    ];

    expect(answers.map((answer) => answer.response.status)).toEqual([202, 202, 202, 202]);
    expect(new Set(answers.map((answer) => answer.data?.id)).size).toBe(4);
    for (const answer of answers) expect(answer.response.headers.get('idempotent-replayed')).toBeNull();
    for (const answer of answers) await client.waitUntilDone((answer.data as Job).id);
  });

  it('forgets a key once IDEMPOTENCY_TTL_HOURS (24 h by default) passed: the same key then makes a new job', async () => {
    const key = freshKey('ttl');
    const body = { prompt: 'kept for a day', input: SMALL };
    const original = (await submit(key, body)).data as Job;
    await client.waitUntilDone(original.id);

    // 23 hours old: still kept.
    await rows.query(`UPDATE jobs SET created_at = now() - interval '23 hours' WHERE id = $1`, [original.id]);
    const kept = await submit(key, body);
    expect(kept.response.headers.get('idempotent-replayed')).toBe('true');
    expect(kept.data?.id).toBe(original.id);

    // 25 hours old: the key belongs to whoever uses it next.
    await rows.query(`UPDATE jobs SET created_at = now() - interval '25 hours' WHERE id = $1`, [original.id]);
    const renewed = await submit(key, body);

    expect(renewed.response.status).toBe(202);
    expect(renewed.response.headers.get('idempotent-replayed')).toBeNull();
    expect(renewed.data?.id).not.toBe(original.id);
    expect(await rowsWithKey(key)).toEqual([renewed.data?.id]);
    expect(await queue.getJob(renewed.data?.id as string)).toBeDefined();
    // The old job is still there, only without its key.
    const [old] = await rows.query('SELECT idempotency_key FROM jobs WHERE id = $1', [original.id]);
    expect(old).toEqual({ idempotency_key: null });
    expect(await client.waitUntilDone(renewed.data?.id as string)).toMatchObject({ status: 'succeeded' });

    // And it is a key like any other again: replayed for the same request, refused for another.
    const replay = await submit(key, body);
    expect(replay.data?.id).toBe(renewed.data?.id);
    expect(replay.response.headers.get('idempotent-replayed')).toBe('true');
    const other = await submit(key, { prompt: 'something else', input: SMALL });
    expectProblem(other.response, other.error, 422, 'idempotency_key_reused');
  });

  it('lets an expired key be reused for a different request', async () => {
    const key = freshKey('ttl-other');
    const original = (await submit(key, { prompt: 'first use', input: SMALL })).data as Job;
    await client.waitUntilDone(original.id);
    await rows.query(`UPDATE jobs SET created_at = now() - interval '25 hours' WHERE id = $1`, [original.id]);

    const reused = await submit(key, { prompt: 'second use, another request', input: SMALL });

    expect(reused.response.status).toBe(202);
    expect(reused.data?.id).not.toBe(original.id);
    expect(await rowsWithKey(key)).toEqual([reused.data?.id]);
    await client.waitUntilDone(reused.data?.id as string);
  });
});
