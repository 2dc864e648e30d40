import { HealthServer } from '../apps/worker/src/health.server';
import { useService } from './support/service';

/** The value of one sample line of a Prometheus text exposition, 0 when absent. */
function sample(metrics: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = metrics
    .split('\n')
    .find((candidate) => candidate.startsWith(`${name}{`) && wanted.every((label) => candidate.includes(label)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('health, metrics and request ids', () => {
  const running = useService();

  it('answers liveness and readiness on the api', async () => {
    const live = await running.client.get('/health/live');
    const ready = await running.client.get('/health/ready');

    expect(live.status).toBe(200);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, redis: { status: 'up' }, migrations: { status: 'up' } },
    });
  });

  it('answers liveness, readiness and metrics on the worker health port', async () => {
    const port = running.service.worker.get(HealthServer).port;
    const base = `http://127.0.0.1:${port}`;

    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('mediagen_queue_jobs');
  });

  it('counts requests on the api, finished jobs on the worker, and reports queue depth on both', async () => {
    const workerMetrics = async () =>
      (await fetch(`http://127.0.0.1:${running.service.worker.get(HealthServer).port}/metrics`)).text();
    const apiMetrics = async () => (await running.client.get('/metrics')).text();
    const [apiBefore, workerBefore] = [await apiMetrics(), await workerMetrics()];

    const job = await running.client.waitUntilDone(
      (await running.client.submit({ prompt: 'metrics', model: 'acme/metrics', input: { width: 16, height: 16 } })).id,
    );
    const [apiAfter, workerAfter] = [await apiMetrics(), await workerMetrics()];

    const finished = { model: 'acme/metrics', status: 'succeeded' };
    expect(job.status).toBe('succeeded');
    expect(sample(workerAfter, 'mediagen_jobs_finished_total', finished)).toBe(
      sample(workerBefore, 'mediagen_jobs_finished_total', finished) + 1,
    );
    expect(sample(workerAfter, 'mediagen_job_attempts_count', finished)).toBeGreaterThan(0);
    const submits = { method: 'POST', route: '/v1/generate', status: '202' };
    expect(sample(apiAfter, 'mediagen_http_request_duration_seconds_count', submits)).toBe(
      sample(apiBefore, 'mediagen_http_request_duration_seconds_count', submits) + 1,
    );
    for (const metrics of [apiAfter, workerAfter]) {
      expect(metrics).toMatch(/mediagen_queue_jobs\{queue="generation",state="waiting"\} \d+/);
      expect(metrics).toContain('process_resident_memory_bytes');
    }
  });

  it('gives every response a request id, keeping the caller’s', async () => {
    const generated = await running.client.get('/health/live');
    const kept = await running.client.get('/health/live', { 'x-request-id': 'trace-123' });

    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(kept.headers.get('x-request-id')).toBe('trace-123');
  });
});

describe('queue dashboard', () => {
  describe('without ADMIN_USER and ADMIN_PASSWORD', () => {
    const running = useService();

    it('is not mounted', async () => {
      expect((await running.client.get('/admin/queues')).status).toBe(404);
    });
  });

  describe('with credentials configured', () => {
    beforeAll(() => {
      Object.assign(process.env, { ADMIN_USER: 'ops', ADMIN_PASSWORD: 'dashboard-secret' });
    });
    afterAll(() => {
      delete process.env.ADMIN_USER;
      delete process.env.ADMIN_PASSWORD;
    });
    const running = useService();
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

    it('asks for basic auth and refuses wrong credentials', async () => {
      const anonymous = await running.client.get('/admin/queues');
      const wrong = await running.client.get('/admin/queues', { authorization: basic('ops', 'guess') });

      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toContain('Basic');
      expect(wrong.status).toBe(401);
    });

    it('serves Bull Board and its API with the credentials', async () => {
      const authorization = basic('ops', 'dashboard-secret');
      const page = await running.client.get('/admin/queues', { authorization });
      const queues = await running.client.get('/admin/queues/api/queues', { authorization });

      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
      expect(queues.status).toBe(200);
      const names = ((await queues.json()) as { queues: { name: string }[] }).queues.map((queue) => queue.name);
      expect(names).toEqual(expect.arrayContaining(['generation', 'webhooks']));
    });
  });
});
