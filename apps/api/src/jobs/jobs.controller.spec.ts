import { appConfig } from '@app/config';
import {
  JobControlService,
  type JobEntity,
  JobNotCancelableError,
  JobNotFoundError,
  type JobStreamSink,
  JobStreams,
  JobsService,
} from '@app/jobs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AUTHORIZED, OWNER, startControllerApp } from '../../../../test/support/controller-app';
import { SubmitRateLimiter } from '../http/submit-rate-limiter';
import { JobsController } from './jobs.controller';

const BASE_URL = 'https://media.example';
const JOB_ID = '0b9f6c1e-2f0a-4c55-9d1b-6a3e8f2d7c10';

function job(overrides: Partial<JobEntity> = {}): JobEntity {
  return {
    id: JOB_ID,
    status: 'queued',
    prompt: 'a red fox',
    model: 'acme/fast',
    input: { seed: 7 },
    attempts: 0,
    maxAttempts: 3,
    error: null,
    outputs: [],
    createdAt: new Date('2026-01-01T00:00:00.000Z'),
    startedAt: null,
    completedAt: null,
    updatedAt: new Date('2026-01-01T00:00:00.000Z'),
    outputsExpiredAt: null,
    ...overrides,
  } as JobEntity;
}

const succeeded = () =>
  job({
    status: 'succeeded',
    attempts: 1,
    startedAt: new Date('2026-01-01T00:00:01.000Z'),
    completedAt: new Date('2026-01-01T00:00:05.000Z'),
    outputs: [{ file: '0.png', contentType: 'image/png', bytes: 42, sha256: 'ab'.repeat(32) }],
  } as Partial<JobEntity>);

describe('JobsController', () => {
  let app: NestFastifyApplication;
  const jobs = { submit: jest.fn(), get: jest.fn(), list: jest.fn(), deliveries: jest.fn(), queuePositions: jest.fn() };
  const control = { cancel: jest.fn(), waitUntilFinished: jest.fn() };
  const streams = { open: jest.fn() };

  beforeAll(async () => {
    app = await startControllerApp(JobsController, [
      { provide: JobsService, useValue: jobs },
      { provide: JobControlService, useValue: control },
      { provide: JobStreams, useValue: streams },
      { provide: appConfig.KEY, useValue: { publicBaseUrl: BASE_URL } },
      { provide: SubmitRateLimiter, useValue: { enabled: false } },
    ]);
  });

  afterAll(() => app.close());

  beforeEach(() => {
    jest.resetAllMocks();
    jobs.queuePositions.mockResolvedValue(new Map());
  });

  const post = (url: string, payload?: object, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload, headers: { ...AUTHORIZED, ...headers } });
  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers: { ...AUTHORIZED, ...headers } });

  describe('POST /v1/generate', () => {
    it('answers 202 with the queued job and its Location, submitting as the key owner', async () => {
      jobs.submit.mockResolvedValue({ job: job(), replayed: false });
      const response = await post('/v1/generate', { prompt: 'a red fox', input: { seed: 7 } });
      expect(response.statusCode).toBe(202);
      expect(response.headers.location).toBe(`/v1/jobs/${JOB_ID}`);
      expect(response.headers['idempotent-replayed']).toBeUndefined();
      expect(response.json()).toMatchObject({ id: JOB_ID, status: 'queued', prompt: 'a red fox', outputs: [] });
      expect(jobs.submit).toHaveBeenCalledWith(
        expect.objectContaining({ owner: OWNER, prompt: 'a red fox', input: { seed: 7 }, webhook: undefined }),
      );
    });

    it('passes the Idempotency-Key on and says when the answer is a replay', async () => {
      jobs.submit.mockResolvedValue({ job: job(), replayed: true });
      const response = await post('/v1/generate', { prompt: 'a red fox' }, { 'idempotency-key': 'order-17' });
      expect(response.statusCode).toBe(202);
      expect(response.headers['idempotent-replayed']).toBe('true');
      expect(jobs.submit).toHaveBeenCalledWith(expect.objectContaining({ idempotencyKey: 'order-17' }));
    });

    it('answers 200 when a replayed job already finished, with absolute output URLs', async () => {
      jobs.submit.mockResolvedValue({ job: succeeded(), replayed: true });
      const response = await post('/v1/generate', { prompt: 'a red fox' });
      expect(response.statusCode).toBe(200);
      expect(response.json().outputs).toEqual([
        {
          url: `${BASE_URL}/v1/media/${JOB_ID}/0.png`,
          file: '0.png',
          contentType: 'image/png',
          bytes: 42,
          sha256: 'ab'.repeat(32),
        },
      ]);
    });

    it('waits with Prefer: wait=N and says so with Preference-Applied', async () => {
      jobs.submit.mockResolvedValue({ job: job(), replayed: false });
      control.waitUntilFinished.mockResolvedValue({ job: succeeded(), honoured: true });
      const response = await post('/v1/generate', { prompt: 'a red fox' }, { prefer: 'wait=10' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['preference-applied']).toBe('wait=10');
      expect(control.waitUntilFinished).toHaveBeenCalledWith(JOB_ID, OWNER, 10);
    });

    it('answers at once, without Preference-Applied, when the wait was not honoured', async () => {
      jobs.submit.mockResolvedValue({ job: job(), replayed: false });
      control.waitUntilFinished.mockResolvedValue({ job: job(), honoured: false });
      const response = await post('/v1/generate', { prompt: 'a red fox' }, { prefer: 'wait=10' });
      expect(response.statusCode).toBe(202);
      expect(response.headers['preference-applied']).toBeUndefined();
    });

    it('turns the webhook fields into a webhook subscription', async () => {
      jobs.submit.mockResolvedValue({ job: job(), replayed: false });
      await post('/v1/generate', { prompt: 'a red fox', webhook: 'https://hooks.example/in' });
      expect(jobs.submit).toHaveBeenCalledWith(
        expect.objectContaining({ webhook: { url: 'https://hooks.example/in', events: ['completed'] } }),
      );
    });

    it('refuses webhookEvents without a webhook as a 400 problem, before submitting', async () => {
      const response = await post('/v1/generate', { prompt: 'a red fox', webhookEvents: ['start'] });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'webhookEvents' }] });
      expect(jobs.submit).not.toHaveBeenCalled();
    });

    it('answers 401 without a valid API key', async () => {
      const response = await app.inject({ method: 'POST', url: '/v1/generate', payload: { prompt: 'x' } });
      expect(response.statusCode).toBe(401);
      expect(jobs.submit).not.toHaveBeenCalled();
    });
  });

  describe.each(['/v1/jobs', '/v1/status'])('GET %s/:id', (path) => {
    it("answers 200 with the owner's job as a resource", async () => {
      jobs.get.mockResolvedValue(succeeded());
      const response = await get(`${path}/${JOB_ID}`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        id: JOB_ID,
        status: 'succeeded',
        attempts: 1,
        createdAt: '2026-01-01T00:00:00.000Z',
        completedAt: '2026-01-01T00:00:05.000Z',
      });
      expect(jobs.get).toHaveBeenCalledWith(JOB_ID, OWNER);
    });

    it('maps a missing job to a 404 problem', async () => {
      jobs.get.mockRejectedValue(new JobNotFoundError(JOB_ID));
      const response = await get(`${path}/${JOB_ID}`);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'job_not_found' });
    });

    it('refuses an id that is not a UUID with a 400, without asking the domain', async () => {
      const response = await get(`${path}/not-a-uuid`);
      expect(response.statusCode).toBe(400);
      expect(jobs.get).not.toHaveBeenCalled();
    });
  });

  describe('GET /v1/jobs', () => {
    it('lists a page and links the next one with the same filters', async () => {
      jobs.list.mockResolvedValue({ jobs: [job()], nextCursor: 'CURSOR' });
      const response = await get('/v1/jobs?status=queued&limit=1');
      expect(response.statusCode).toBe(200);
      const page = response.json();
      expect(page.data).toEqual([expect.objectContaining({ id: JOB_ID })]);
      expect(page.next).toBe('/v1/jobs?status=queued&limit=1&cursor=CURSOR');
      expect(jobs.list).toHaveBeenCalledWith(expect.objectContaining({ owner: OWNER, statuses: ['queued'], limit: 1 }));
    });

    it('says `next: null` on the last page', async () => {
      jobs.list.mockResolvedValue({ jobs: [], nextCursor: null });
      expect((await get('/v1/jobs')).json()).toEqual({ data: [], next: null, nextCursor: null });
    });
  });

  describe('POST /v1/jobs/:id/cancel', () => {
    it('answers 200 with the canceled job', async () => {
      control.cancel.mockResolvedValue(job({ status: 'canceled' }));
      const response = await post(`/v1/jobs/${JOB_ID}/cancel`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ id: JOB_ID, status: 'canceled' });
      expect(control.cancel).toHaveBeenCalledWith(JOB_ID, OWNER);
    });

    it('answers 409 for a job that already ended', async () => {
      control.cancel.mockRejectedValue(new JobNotCancelableError(JOB_ID, 'succeeded'));
      const response = await post(`/v1/jobs/${JOB_ID}/cancel`);
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ code: 'job_not_cancelable' });
    });
  });

  describe('queue positions', () => {
    it('are given for queued jobs the queue knows, null for the others', async () => {
      jobs.get.mockResolvedValue(job());
      jobs.queuePositions.mockResolvedValue(new Map([[JOB_ID, 2]]));
      expect((await get(`/v1/status/${JOB_ID}`)).json()).toMatchObject({ queuePosition: 2 });
      jobs.queuePositions.mockResolvedValue(new Map());
      expect((await get(`/v1/status/${JOB_ID}`)).json()).toMatchObject({ queuePosition: null });
    });
  });

  describe('GET /v1/jobs/:id/events', () => {
    it('streams the events the job stream sends, as Server-Sent Events, for the key owner', async () => {
      streams.open.mockImplementation(async (_id: string, _owner: string, _last: string, sink: JobStreamSink) => {
        sink.keepAlive();
        sink.send({ event: 'progress', id: '7-', data: { percent: 5, message: 'step 1/20', updatedAt: 'now' } });
        sink.end(3000);
        return () => undefined;
      });
      const response = await get(`/v1/jobs/${JOB_ID}/events`, { 'last-event-id': '6-' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-cache, no-transform');
      expect(response.headers['x-accel-buffering']).toBe('no');
      expect(response.body).toBe(
        ': keep-alive\n\nid: 7-\nevent: progress\ndata: {"percent":5,"message":"step 1/20","updatedAt":"now"}\n\nretry: 3000\n\n',
      );
      expect(streams.open).toHaveBeenCalledWith(JOB_ID, OWNER, '6-', expect.anything());
    });

    it("answers 404 as a problem when the job is not the caller's", async () => {
      streams.open.mockRejectedValue(new JobNotFoundError(JOB_ID));
      const response = await get(`/v1/jobs/${JOB_ID}/events`);
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ code: 'job_not_found' });
    });

    it('answers 400 for an id that is not a UUID', async () => {
      expect((await get('/v1/jobs/nope/events')).statusCode).toBe(400);
      expect(streams.open).not.toHaveBeenCalled();
    });
  });
});
