import { expectProblem } from './jobs-client';
import type { RunningService } from './service';
import { timed } from './timing';

const SMALL = { width: 16, height: 16 };

/**
 * The job flow every deployment shape must keep (PgBouncer, Redis Cluster, Sentinel): submit →
 * succeeded with its file served, cancel, `Prefer: wait`, and the list. `service()` is the running
 * service (see useService); its mock generator should take a few hundred ms per attempt.
 */
export function itRunsTheJobFlow(service: () => RunningService): void {
  const client = () => service().client;
  const api = () => client().api;

  it('runs a submitted job to succeeded and serves its output', async () => {
    const job = await client().submit({ prompt: 'through the whole flow', input: SMALL });
    expect(job.status).toBe('queued');

    const done = await client().waitUntilDone(job.id);

    expect(done).toMatchObject({ id: job.id, status: 'succeeded', attempts: 1, error: null });
    expect(done.outputs).toHaveLength(1);
    const media = await service().client.media(done.outputs[0].url);
    expect(media.status).toBe(200);
    expect(media.headers.get('content-type')).toBe('image/png');
  });

  it('cancels a queued job, which then never runs', async () => {
    await service().queue.pause();
    try {
      const job = await client().submit({ prompt: 'canceled while queued', input: SMALL });
      const { data, response } = await api().POST('/v1/jobs/{id}/cancel', { params: { path: { id: job.id } } });
      expect(response.status).toBe(200);
      expect(data).toMatchObject({ id: job.id, status: 'canceled', attempts: 0 });
      const again = await api().POST('/v1/jobs/{id}/cancel', { params: { path: { id: job.id } } });
      expectProblem(again.response, again.error, 409, 'job_not_cancelable');
    } finally {
      await service().queue.resume();
    }
  });

  it('holds POST /v1/generate with Prefer: wait until the job ends', async () => {
    const [{ data, response }, elapsedMs] = await timed(() =>
      api().POST('/v1/generate', {
        body: { prompt: 'submit and wait', input: SMALL },
        params: { header: { Prefer: 'wait=10' } },
      }),
    );

    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('wait=10');
    expect(data).toMatchObject({ status: 'succeeded', attempts: 1 });
    // Woken by the worker's finish signal, not by polling the deadline.
    expect(elapsedMs).toBeLessThan(5000);
  });

  it('lists the jobs, newest first', async () => {
    const first = await client().submit({ prompt: 'listed first', input: SMALL });
    const second = await client().submit({ prompt: 'listed second', input: SMALL });

    const { data, response } = await api().GET('/v1/jobs', { params: { query: { limit: 2 } } });

    expect(response.status).toBe(200);
    expect(data?.data.map((job) => job.id)).toEqual([second.id, first.id]);
    await client().waitUntilDone(first.id);
    await client().waitUntilDone(second.id);
  });
}

/**
 * The submit rate limit, counted in Redis: with SUBMIT_RATE_LIMIT_PER_MINUTE = `limit`, a
 * submission past it is refused with 429 and Retry-After. (Earlier tests' submissions count too,
 * and the window may roll over once meanwhile, hence up to twice the limit.)
 */
export function itLimitsSubmissions(service: () => RunningService, limit: number): void {
  it(`refuses submissions past ${limit} a minute with 429`, async () => {
    const { api } = service().client;
    for (let submitted = 0; submitted <= 2 * limit; submitted += 1) {
      const { response, error } = await api.POST('/v1/generate', { body: { prompt: 'rate limited', input: SMALL } });
      if (response.status === 202) continue;
      expectProblem(response, error, 429, 'rate_limited');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      return;
    }
    throw new Error(`no 429 after ${2 * limit + 1} submissions`);
  });
}
