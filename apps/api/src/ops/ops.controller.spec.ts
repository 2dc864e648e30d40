import { MetricsRegistry, Readiness } from '@app/observability';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startControllerApp } from '../../../../test/support/controller-app';
import { OpsController } from './ops.controller';

describe('OpsController', () => {
  let app: NestFastifyApplication;
  const readiness = { report: jest.fn() };
  const metrics = { contentType: () => 'text/plain; version=0.0.4; charset=utf-8', render: jest.fn() };

  beforeAll(async () => {
    app = await startControllerApp(OpsController, [
      { provide: Readiness, useValue: readiness },
      { provide: MetricsRegistry, useValue: metrics },
    ]);
  });

  afterAll(() => app.close());

  const get = (url: string) => app.inject({ method: 'GET', url });

  it('is live without an API key', async () => {
    const response = await get('/health/live');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it.each([200, 503])('answers readiness with the status of the report (%i)', async (httpStatus) => {
    readiness.report.mockResolvedValue({ httpStatus, body: { status: httpStatus === 200 ? 'ok' : 'error' } });
    const response = await get('/health/ready');
    expect(response.statusCode).toBe(httpStatus);
    expect(response.json()).toEqual({ status: httpStatus === 200 ? 'ok' : 'error' });
  });

  it('serves the metrics in the registry’s content type', async () => {
    metrics.render.mockResolvedValue('mediagen_jobs_finished_total 1\n');
    const response = await get('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.body).toBe('mediagen_jobs_finished_total 1\n');
  });
});
