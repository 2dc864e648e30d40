import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { components } from '@app/client';
import { WEBHOOK_QUEUE } from '@app/queue';
import { Redis } from 'ioredis';
import type { JobsClient } from './support/jobs-client';
import { deleteKeys } from './support/redis-keys';
import { useService } from './support/service';
import { eventually } from './support/timing';
import {
  type ReceivedRequest,
  type ReceiverAnswer,
  verifySignature,
  WebhookReceiver,
} from './support/webhook-receiver';

type Delivery = components['schemas']['WebhookDelivery'];
type GenerateBody = components['schemas']['GenerateRequest'];

/** A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const SECRETS = [newSecret(), newSecret()];

const WEBHOOK_ENV = {
  WEBHOOK_SECRETS: SECRETS.join(','),
  WEBHOOK_ALLOW_HTTP: 'true',
  // The receiver listens on loopback.
  EGRESS_ALLOW_HOSTS: '127.0.0.1',
  WEBHOOK_BACKOFF_MS: '100',
  WEBHOOK_MAX_ATTEMPTS: '4',
  WEBHOOK_TIMEOUT_MS: '1000',
  // Long enough that a job's start is delivered before it completes.
  MOCK_LATENCY_MS: '150',
};

const SMALL = { width: 32, height: 32 };

afterAll(async () => {
  await deleteKeys(`${process.env.QUEUE_PREFIX}:*`);
});

async function submit(client: JobsClient, body: GenerateBody): Promise<string> {
  const { data, error, response } = await client.api.POST('/v1/generate', { body });
  if (!data) throw new Error(`submit answered ${response.status}: ${JSON.stringify(error)}`);
  return data.id;
}

async function deliveries(client: JobsClient, id: string): Promise<Delivery[]> {
  const { data, error, response } = await client.api.GET('/v1/jobs/{id}/deliveries', { params: { path: { id } } });
  if (!data) throw new Error(`deliveries answered ${response.status}: ${JSON.stringify(error)}`);
  return data.data;
}

/** Polls the job's deliveries until `done` holds for them. */
async function deliveriesWhen(
  client: JobsClient,
  id: string,
  done: (list: Delivery[]) => boolean,
  timeoutMs = 10_000,
): Promise<Delivery[]> {
  let list: Delivery[] = [];
  return eventually(
    async () => {
      list = await deliveries(client, id);
      return done(list) ? list : undefined;
    },
    timeoutMs,
    () => `deliveries of ${id} to settle: ${JSON.stringify(list)}`,
  );
}

const settled = (count: number) => (list: Delivery[]) =>
  list.length === count && list.every((delivery) => delivery.status !== 'pending');

function expectSignedByEverySecret(request: ReceivedRequest): void {
  expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(SECRETS.length);
  for (const secret of SECRETS) expect(verifySignature(secret, request)).toEqual(JSON.parse(request.body));
}

describe('webhooks', () => {
  const receiver = new WebhookReceiver();
  const running = useService(WEBHOOK_ENV);
  const hookPath = () => `/hooks/${randomUUID()}`;

  beforeAll(() => receiver.start());
  afterAll(() => receiver.close());

  /** Submits a small job whose webhook (a path of its own) the receiver answers with `answers` in turn. */
  async function submitAnswered(prompt: string, ...answers: ReceiverAnswer[]): Promise<{ path: string; id: string }> {
    const path = hookPath();
    const id = await submit(running.client, { prompt, input: SMALL, webhook: receiver.script(path, ...answers) });
    return { path, id };
  }

  it('delivers start and completion, signed with every secret, the completed one carrying the finished job', async () => {
    const path = hookPath();
    const id = await submit(running.client, {
      prompt: 'a fox with a pager',
      input: SMALL,
      webhook: receiver.script(path, 204),
      webhookEvents: ['start', 'completed'],
    });

    const [started, completed] = await receiver.waitFor(path, 2);
    const job = await running.client.waitUntilDone(id);
    const list = await deliveriesWhen(running.client, id, settled(2));

    expect(job.status).toBe('succeeded');
    for (const request of [started, completed]) {
      expect(request.method).toBe('POST');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['webhook-id']).toMatch(
        /^msg_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
      const timestamp = Number(request.headers['webhook-timestamp']);
      expect(Number.isInteger(timestamp)).toBe(true);
      expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);
      expect(JSON.parse(request.body).timestamp).toBe(new Date(timestamp * 1000).toISOString());
      expectSignedByEverySecret(request);
    }
    expect(JSON.parse(started.body)).toMatchObject({ type: 'job.started', data: { id, status: 'processing' } });
    expect(JSON.parse(completed.body)).toEqual({
      type: 'job.completed',
      timestamp: expect.any(String),
      data: await running.client.job(id),
    });
    expect(JSON.parse(completed.body).data).toMatchObject({ status: 'succeeded', outputs: [expect.any(Object)] });

    expect(list).toEqual([
      expect.objectContaining({ event: 'start', status: 'delivered', attempts: 1, lastStatusCode: 204 }),
      expect.objectContaining({ event: 'completed', status: 'delivered', attempts: 1, lastStatusCode: 204 }),
    ]);
    expect([started, completed].map((request) => request.headers['webhook-id'])).toEqual(
      list.map((delivery) => `msg_${delivery.id}`),
    );
    for (const delivery of list) {
      expect(delivery).toMatchObject({ url: `${receiver.origin}${path}`, lastError: null, nextAttemptAt: null });
      expect(Date.parse(delivery.deliveredAt ?? '')).not.toBeNaN();
    }
    await sleep(300);
    expect(receiver.received(path)).toHaveLength(2);
  });

  it('delivers only completion by default', async () => {
    const { path, id } = await submitAnswered('a quiet fox');

    await running.client.waitUntilDone(id);
    const list = await deliveriesWhen(running.client, id, settled(1));
    const [request] = await receiver.waitFor(path, 1);

    expect(list).toEqual([expect.objectContaining({ event: 'completed', status: 'delivered' })]);
    expect(JSON.parse(request.body).type).toBe('job.completed');
    expect(receiver.received(path)).toHaveLength(1);
  });

  it('retries a failing receiver with the same webhook-id until it takes the delivery', async () => {
    // The third answer is held back a while, so the row can be read between the attempts.
    const { path, id } = await submitAnswered('a persistent fox', 500, 500, { status: 200, delayMs: 500 });

    const requests = await receiver.waitFor(path, 3);
    const [whileFailing] = await deliveries(running.client, id);
    const [delivered] = await deliveriesWhen(running.client, id, settled(1));

    expect(whileFailing).toMatchObject({
      status: 'pending',
      attempts: 2,
      lastStatusCode: 500,
      lastError: expect.stringContaining('500'),
      deliveredAt: null,
    });
    expect(Date.parse(whileFailing.nextAttemptAt ?? '')).toBeGreaterThan(Date.now() - 10_000);
    expect(delivered).toMatchObject({
      status: 'delivered',
      attempts: 3,
      lastStatusCode: 200,
      lastError: null,
      nextAttemptAt: null,
    });
    expect(Date.parse(delivered.deliveredAt ?? '')).not.toBeNaN();
    expect(requests.map((request) => request.headers['webhook-id'])).toEqual(Array(3).fill(`msg_${delivered.id}`));
    for (const request of requests) expectSignedByEverySecret(request);
    expect(receiver.received(path)).toHaveLength(3);
  });

  it.each([
    { rule: 'gives up after WEBHOOK_MAX_ATTEMPTS when the receiver keeps failing', answer: 500, attempts: 4 },
    { rule: 'stops at once when the receiver answers 410 Gone', answer: 410, attempts: 1 },
  ])('$rule', async ({ answer, attempts }) => {
    const { path, id } = await submitAnswered('an unlucky fox', answer);

    const [delivery] = await deliveriesWhen(running.client, id, settled(1));

    expect(delivery).toMatchObject({
      status: 'failed',
      attempts,
      lastStatusCode: answer,
      nextAttemptAt: null,
      deliveredAt: null,
    });
    expect(receiver.received(path)).toHaveLength(attempts);
  });

  it('does not follow a redirect', async () => {
    const elsewhere = hookPath();
    const { path, id } = await submitAnswered('a redirected fox', {
      status: 302,
      location: `${receiver.origin}${elsewhere}`,
    });

    const [delivery] = await deliveriesWhen(running.client, id, settled(1));

    expect(delivery).toMatchObject({ status: 'failed', attempts: 4, lastStatusCode: 302 });
    expect(receiver.received(path)).toHaveLength(4);
    expect(receiver.received(elsewhere)).toHaveLength(0);
  });

  it('gives up on a receiver that does not answer within WEBHOOK_TIMEOUT_MS, and tries again', async () => {
    const { path, id } = await submitAnswered('a patient fox', 'stall', 'stall', 204);

    const [first, second] = await receiver.waitFor(path, 2);
    // The second attempt now stalls for WEBHOOK_TIMEOUT_MS: the first one is on the row.
    const [afterTimeout] = await deliveries(running.client, id);
    const [delivered] = await deliveriesWhen(running.client, id, settled(1));

    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(900);
    expect(afterTimeout).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: null });
    expect(afterTimeout.lastError).toMatch(/in time/);
    expect(afterTimeout.nextAttemptAt).not.toBeNull();
    expect(delivered).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 204, lastError: null });
    expect(new Set(receiver.received(path).map((request) => request.headers['webhook-id'])).size).toBe(1);
  });

  it('lists no deliveries for a job without a webhook', async () => {
    const job = await running.client.submit({ prompt: 'a fox on its own', input: SMALL });
    await running.client.waitUntilDone(job.id);

    expect(await deliveries(running.client, job.id)).toEqual([]);
  });
});

/** Submits `webhook` and reads the problem answered. */
async function submitWebhook(client: JobsClient, webhook: string): Promise<{ status: number; problem: Problem }> {
  const response = await client.post('/v1/generate', JSON.stringify({ prompt: 'a fox', input: SMALL, webhook }));
  return { status: response.status, problem: await response.json() };
}

interface Problem {
  detail?: string;
  errors?: { field: string; message: string }[];
}

describe('webhook retry schedule', () => {
  const receiver = new WebhookReceiver();
  // Long enough that the 20 % jitter of a retry delay is far larger than the time it takes to read it.
  const running = useService({ ...WEBHOOK_ENV, WEBHOOK_BACKOFF_MS: '5000' });

  beforeAll(() => receiver.start());
  afterAll(() => receiver.close());

  it("says as nextAttemptAt the time at which BullMQ will run the delivery's next attempt", async () => {
    const path = `/hooks/${randomUUID()}`;
    const id = await submit(running.client, {
      prompt: 'a patient fox',
      input: SMALL,
      webhook: receiver.script(path, 500),
    });

    const [pending] = await deliveriesWhen(running.client, id, (list) => list[0]?.attempts === 1);
    // BullMQ scores a delayed job by the millisecond it is due, times 0x1000.
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const score = await redis.zscore(`${process.env.QUEUE_PREFIX}:${WEBHOOK_QUEUE}:delayed`, pending.id);
    redis.disconnect();

    expect(Math.abs(Date.parse(pending.nextAttemptAt ?? '') - Math.floor(Number(score) / 0x1000))).toBeLessThan(50);
  });
});

describe('webhook destinations, with https only and no private networks', () => {
  const running = useService({
    ...WEBHOOK_ENV,
    WEBHOOK_ALLOW_HTTP: 'false',
    EGRESS_ALLOW_HOSTS: '',
  });

  it.each([
    ['http', 'http://example.com/x'],
    ['loopback', 'https://127.0.0.1/x'],
    ['localhost', 'https://localhost/x'],
    ['a subdomain of localhost', 'https://hooks.localhost/x'],
    ['cloud metadata', 'https://169.254.169.254/latest'],
    ['IPv6 loopback', 'https://[::1]/x'],
    ['a private network', 'https://10.0.0.1/x'],
    ['credentials', 'https://user:secret@example.com/x'],
  ])('refuses %s (%s) with 400 naming webhook', async (_case, webhook) => {
    const { status, problem } = await submitWebhook(running.client, webhook);

    expect(status).toBe(400);
    expect(problem.errors).toEqual([expect.objectContaining({ field: 'webhook', message: expect.any(String) })]);
  });

  it('accepts a public https destination', async () => {
    // No events: nothing is sent to the outside world.
    const id = await submit(running.client, {
      prompt: 'a public fox',
      input: SMALL,
      webhook: 'https://hooks.example.com/mediagen',
      webhookEvents: [],
    });

    await running.client.waitUntilDone(id);
    expect(await deliveries(running.client, id)).toEqual([]);
  });
});

describe('webhooks without WEBHOOK_SECRETS', () => {
  const running = useService({ ...WEBHOOK_ENV, WEBHOOK_SECRETS: '' });

  it('refuses any webhook with 400: webhooks are not enabled', async () => {
    const { status, problem } = await submitWebhook(running.client, 'http://127.0.0.1:9/hook');

    expect(status).toBe(400);
    expect(problem.errors).toEqual([
      expect.objectContaining({ field: 'webhook', message: expect.stringMatching(/not enabled/) }),
    ]);
  });

  it('still takes jobs without one', async () => {
    const job = await running.client.submit({ prompt: 'a fox without hooks', input: SMALL });

    expect(job.status).toBe('queued');
  });
});
