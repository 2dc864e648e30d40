import { appConfig, generatorConfig } from '@app/config';
import {
  JobControlService,
  type JobEntity,
  JobNotFoundError,
  JobsService,
  MediaCapabilities,
  PredictionPresenter,
} from '@app/jobs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AUTHORIZED, OWNER, startControllerApp } from '../../../../test/support/controller-app';
import { SubmitRateLimiter } from '../http/submit-rate-limiter';
import { PredictionsController } from './predictions.controller';

const BASE_URL = 'https://media.example';
const JOB_ID = '0b9f6c1e-2f0a-4c55-9d1b-6a3e8f2d7c10';

const job = (overrides: Partial<JobEntity> = {}): JobEntity =>
  ({
    id: JOB_ID,
    status: 'queued',
    prompt: 'a red fox',
    model: 'acme/pinned:abc123',
    input: { seed: 7 },
    error: null,
    outputs: [],
    outputShape: null,
    progress: null,
    createdAt: new Date('2026-01-01T00:00:00.000Z'),
    startedAt: null,
    completedAt: null,
    outputsExpiredAt: null,
    ...overrides,
  }) as JobEntity;

describe('PredictionsController', () => {
  let app: NestFastifyApplication;
  const jobs = { submit: jest.fn(), get: jest.fn(), list: jest.fn() };
  const control = { cancel: jest.fn(), waitUntilFinished: jest.fn() };

  beforeAll(async () => {
    app = await startControllerApp(PredictionsController, [
      { provide: JobsService, useValue: jobs },
      { provide: JobControlService, useValue: control },
      { provide: appConfig.KEY, useValue: { publicBaseUrl: BASE_URL } },
      { provide: generatorConfig.KEY, useValue: { allowedModels: ['acme/painter', 'acme/pinned:abc123'] } },
      { provide: SubmitRateLimiter, useValue: { enabled: false } },
      {
        provide: PredictionPresenter,
        useValue: new PredictionPresenter({ publicBaseUrl: BASE_URL }, new MediaCapabilities({ secrets: [] })),
      },
    ]);
  });

  afterAll(() => app.close());
  beforeEach(() => jest.resetAllMocks());

  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload: body as object, headers: { ...AUTHORIZED, ...headers } });

  it('creates a job from a bare version id, the prompt taken out of input, webhook remembered as prediction-shaped', async () => {
    jobs.submit.mockResolvedValue({ job: job(), replayed: false });

    const response = await post(
      '/v1/predictions',
      { version: 'abc123', input: { prompt: 'a red fox', seed: 7 }, webhook: 'https://hooks.example/r' },
      { 'idempotency-key': 'k1' },
    );

    expect(response.statusCode).toBe(201);
    expect(jobs.submit).toHaveBeenCalledWith({
      owner: OWNER,
      prompt: 'a red fox',
      model: 'acme/pinned:abc123',
      input: { seed: 7 },
      idempotencyKey: 'k1',
      webhook: { url: 'https://hooks.example/r', events: ['output', 'logs', 'completed'], payload: 'prediction' },
    });
    expect(response.headers.location).toBe(`${BASE_URL}/v1/predictions/${JOB_ID}`);
    expect(response.json()).toMatchObject({ id: JOB_ID, status: 'starting', model: 'acme/pinned', version: 'abc123' });
  });

  it('creates through the model route, waiting as Prefer asks', async () => {
    jobs.submit.mockResolvedValue({ job: job({ model: 'acme/painter' }), replayed: true });
    control.waitUntilFinished.mockResolvedValue({
      job: job({ model: 'acme/painter', status: 'succeeded' }),
      honoured: true,
    });

    const response = await post('/v1/models/acme/painter/predictions', { input: { prompt: 'x' } }, { prefer: 'wait' });

    expect(response.statusCode).toBe(201);
    expect(control.waitUntilFinished).toHaveBeenCalledWith(JOB_ID, OWNER, 60);
    expect(response.headers).toMatchObject({ 'preference-applied': 'wait=60', 'idempotent-replayed': 'true' });
    expect(jobs.submit.mock.calls[0][0]).toMatchObject({ model: 'acme/painter', webhook: undefined });
  });

  it.each([
    ['no prompt', '/v1/predictions', { version: 'acme/painter', input: { seed: 1 } }, 400, 'invalid_input'],
    [
      'an unknown bare version',
      '/v1/predictions',
      { version: 'fff999', input: { prompt: 'x' } },
      422,
      'unknown_version',
    ],
    ['no input', '/v1/predictions', { version: 'acme/painter' }, 400, 'validation_failed'],
    [
      'an unknown field',
      '/v1/predictions',
      { version: 'acme/painter', input: { prompt: 'x' }, stream: true },
      400,
      'validation_failed',
    ],
    [
      'an unknown event',
      '/v1/models/acme/painter/predictions',
      { input: { prompt: 'x' }, webhook_events_filter: ['done'] },
      400,
      'validation_failed',
    ],
    [
      'a bad model segment',
      '/v1/models/acme/pa%20inter/predictions',
      { input: { prompt: 'x' } },
      400,
      'validation_failed',
    ],
  ])('refuses %s with detail and status, before any job', async (_case, url, body, status, code) => {
    const response = await post(url, body);

    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ status, code, detail: expect.any(String) });
    expect(jobs.submit).not.toHaveBeenCalled();
  });

  it("reads, cancels and lists the key's predictions, with an absolute next URL", async () => {
    jobs.get.mockResolvedValue(job());
    control.cancel.mockResolvedValue(job({ status: 'canceled' }));
    jobs.list.mockResolvedValue({ jobs: [job()], nextCursor: 'c2' });

    const read = await app.inject({ method: 'GET', url: `/v1/predictions/${JOB_ID}`, headers: AUTHORIZED });
    const canceled = await post(`/v1/predictions/${JOB_ID}/cancel`, undefined);
    const page = await app.inject({ method: 'GET', url: '/v1/predictions?limit=1', headers: AUTHORIZED });

    expect(read.json()).toMatchObject({ id: JOB_ID, status: 'starting' });
    expect(canceled.json()).toMatchObject({ status: 'canceled' });
    expect(jobs.list).toHaveBeenCalledWith({ owner: OWNER, limit: 1, cursor: undefined });
    expect(page.json()).toMatchObject({
      next: `${BASE_URL}/v1/predictions?cursor=c2&limit=1`,
      previous: null,
      results: [{ id: JOB_ID }],
    });
  });

  it("answers another key's prediction as not found", async () => {
    jobs.get.mockRejectedValue(new JobNotFoundError(JOB_ID));

    const response = await app.inject({ method: 'GET', url: `/v1/predictions/${JOB_ID}`, headers: AUTHORIZED });

    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ status: 404, detail: `No job with id ${JOB_ID}` });
  });
});
