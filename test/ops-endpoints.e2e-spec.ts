import { randomUUID } from 'node:crypto';
import { HealthServer } from '../apps/worker/src/health.server';
import { MAX_UNLISTED_MODEL_LABELS } from '../libs/observability/src/model-label';
import { EnvironmentOverrides } from './support/environment-overrides';
import { rawRequest } from './support/raw-http';
import { useService } from './support/service';

/** The distinct values of `label` on the samples of `metric`. */
function labelValues(metrics: string, metric: string, label: string): Set<string> {
  const pattern = new RegExp(`${label}="([^"]*)"`);
  return new Set(
    metrics
      .split('\n')
      .filter((line) => line.startsWith(`${metric}{`))
      .map((line) => pattern.exec(line)?.[1])
      .filter((value): value is string => value !== undefined),
  );
}

describe('ops endpoints', () => {
  const env = new EnvironmentOverrides();
  beforeAll(() => env.set({ HOST: '127.0.0.1' }));
  afterAll(() => env.restore());
  const running = useService();

  it("binds the worker's health and metrics port to HOST, as the api does", () => {
    expect(running.service.worker.get(HealthServer).address?.address).toBe('127.0.0.1');
  });

  it('labels models past the first few distinct ones `other`', async () => {
    const models = Array.from({ length: MAX_UNLISTED_MODEL_LABELS + 10 }, (_, index) => `spam/model-${index}`);
    const jobs = await Promise.all(
      models.map((model) => running.client.submit({ prompt: 'labels', model, input: { width: 16, height: 16 } })),
    );
    await Promise.all(jobs.map((job) => running.client.waitUntilDone(job.id)));

    const port = running.service.worker.get(HealthServer).port;
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const labels = labelValues(metrics, 'mediagen_jobs_finished_total', 'model');
    expect(labels.size).toBeLessThanOrEqual(MAX_UNLISTED_MODEL_LABELS + 1);
    expect(labels).toContain('other');
  });

  it('labels HTTP requests by route pattern, and every unmatched path alike', async () => {
    const token = randomUUID();
    await running.client.get(`/v1/status/${token}`);
    await running.client.get(`/v1/no-such-route-${token}`);
    await running.client.get(`/elsewhere/${token}`);
    await rawRequest(running.service.baseUrl, 'GET', `/v1/status/%E0%A4%A${token}`);

    const metrics = await (await running.client.get('/metrics')).text();
    const routes = labelValues(metrics, 'mediagen_http_request_duration_seconds_count', 'route');
    expect(metrics).not.toContain(token);
    expect(routes).toContain('/v1/status/:id');
    expect(routes).toContain('unmatched');
  });
});
