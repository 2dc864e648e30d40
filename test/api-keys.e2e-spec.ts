import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { EnvironmentOverrides } from './support/environment-overrides';
import { useIsolatedDatabase } from './support/isolated-database';
import { expectProblem, type Job, JobsClient, mediaPath } from './support/jobs-client';
import { deleteKeys } from './support/redis-keys';
import { type RunningService, startService } from './support/service';

const sha256 = (value: string | Buffer) => createHash('sha256').update(value).digest('hex');

const ALICE = 'alice-secret';
const BOB = 'bob-secret';
const LIMIT = 5;
const SMALL = { width: 16, height: 16 };

// Owners are API key names, so the file gets a database of its own: lists are then exact.
const basePrefix = process.env.QUEUE_PREFIX as string;
useIsolatedDatabase('apikeys', {
  API_KEYS: `alice:${sha256(ALICE)},bob:${sha256(BOB)}`,
  SUBMIT_RATE_LIMIT_PER_MINUTE: String(LIMIT),
});

afterAll(async () => {
  await deleteKeys(`${basePrefix}*`);
});

async function listIds(client: JobsClient): Promise<string[]> {
  const { data, error, response } = await client.api.GET('/v1/jobs', { params: { query: { limit: 100 } } });
  if (!data) throw new Error(`list answered ${response.status}: ${JSON.stringify(error)}`);
  return data.data.map((job) => job.id);
}

describe('API keys: authentication and ownership', () => {
  let service: RunningService;
  let anonymous: JobsClient;
  let alice: JobsClient;
  let bob: JobsClient;
  let aliceJob: Job;

  beforeAll(async () => {
    service = await startService();
    anonymous = new JobsClient(service.baseUrl);
    alice = new JobsClient(service.baseUrl, ALICE);
    bob = new JobsClient(service.baseUrl, BOB);
  });
  afterAll(() => service?.stop());

  it('answers every /v1 route without a key with a 401 problem and WWW-Authenticate: Bearer', async () => {
    const id = randomUUID();
    const answers = [
      await anonymous.api.POST('/v1/generate', { body: { prompt: 'no key' } }),
      await anonymous.api.GET('/v1/status/{id}', { params: { path: { id } } }),
      await anonymous.api.GET('/v1/jobs'),
      await anonymous.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id } } }),
      await anonymous.api.GET('/v1/jobs/{id}/deliveries', { params: { path: { id } } }),
      await anonymous.api.GET('/v1/media/{jobId}/{file}', { params: { path: { jobId: id, file: '0.png' } } }),
    ];

    for (const { response, error } of answers) {
      expectProblem(response, error, 401, 'unauthorized');
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    }
    // Refused before the rate limiter: an unauthenticated submit is not counted against anyone.
    expect(answers[0].response.headers.get('ratelimit-limit')).toBeNull();
  });

  it('refuses a wrong key, another scheme, a key name or the configured digest as the key', async () => {
    const basic = Buffer.from(`alice:${ALICE}`).toString('base64');
    for (const authorization of [
      'Bearer wrong-secret',
      'Bearer alice',
      `Bearer ${sha256(ALICE)}`,
      `Basic ${basic}`,
      'Bearer',
      ALICE,
    ]) {
      const { response, error } = await anonymous.api.GET('/v1/jobs', { headers: { authorization } });

      expectProblem(response, error, 401, 'unauthorized');
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it('lets alice submit, read, list and download her job', async () => {
    const { data, response } = await alice.api.POST('/v1/generate', {
      body: { prompt: "alice's lighthouse", input: SMALL },
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe(`/v1/jobs/${data?.id}`);

    aliceJob = await alice.waitUntilDone((data as Job).id);

    expect(aliceJob).toMatchObject({ status: 'succeeded', prompt: "alice's lighthouse" });
    expect(await listIds(alice)).toContain(aliceJob.id);
    const [output] = aliceJob.outputs;
    const media = await alice.api.GET('/v1/media/{jobId}/{file}', {
      params: { path: mediaPath(output.url) },
      parseAs: 'arrayBuffer',
    });
    expect(media.response.status).toBe(200);
    const body = Buffer.from(media.data as ArrayBuffer);
    expect(body.length).toBe(output.bytes);
    expect(sha256(body)).toBe(output.sha256);
  });

  it("gives bob 404s for alice's job: status, media, deliveries and cancel; and leaves it out of his list", async () => {
    const id = aliceJob.id;

    const status = await bob.api.GET('/v1/status/{id}', { params: { path: { id } } });
    expectProblem(status.response, status.error, 404, 'job_not_found');
    const media = await bob.api.GET('/v1/media/{jobId}/{file}', {
      params: { path: mediaPath(aliceJob.outputs[0].url) },
    });
    expectProblem(media.response, media.error, 404, /^(job_not_found|media_not_found)$/);
    const deliveries = await bob.api.GET('/v1/jobs/{id}/deliveries', { params: { path: { id } } });
    expectProblem(deliveries.response, deliveries.error, 404, 'job_not_found');
    // Not 409 (which alice would get for her finished job): bob cannot even learn that it exists.
    const cancel = await bob.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id } } });
    expectProblem(cancel.response, cancel.error, 404, 'job_not_found');
    expect(await listIds(bob)).not.toContain(id);
    expect(await alice.waitUntilDone(id)).toEqual(aliceJob);
  });

  it("does not let bob cancel alice's queued job", async () => {
    await service.queue.pause();
    let queued: Job;
    try {
      queued = await alice.submit({ prompt: 'alice waits in line', input: SMALL });
      const cancel = await bob.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id: queued.id } } });

      expectProblem(cancel.response, cancel.error, 404, 'job_not_found');
      expect((await alice.api.GET('/v1/status/{id}', { params: { path: { id: queued.id } } })).data?.status).toBe(
        'queued',
      );
    } finally {
      await service.queue.resume();
    }

    expect(await alice.waitUntilDone(queued.id)).toMatchObject({ status: 'succeeded' });
  });

  it('keeps idempotency keys per API key: the same key from alice and bob makes two jobs', async () => {
    const key = `shared-${randomUUID()}`;
    const body = { prompt: 'same key, two owners', input: SMALL };

    const fromAlice = await alice.api.POST('/v1/generate', { body, params: { header: { 'Idempotency-Key': key } } });
    const fromBob = await bob.api.POST('/v1/generate', { body, params: { header: { 'Idempotency-Key': key } } });

    expect([fromAlice.response.status, fromBob.response.status]).toEqual([202, 202]);
    expect(fromBob.response.headers.get('idempotent-replayed')).toBeNull();
    expect(fromAlice.data?.id).not.toBe(fromBob.data?.id);
    expect(await listIds(bob)).toEqual([fromBob.data?.id]);
    await alice.waitUntilDone((fromAlice.data as Job).id);
    await bob.waitUntilDone((fromBob.data as Job).id);
  });

  it('keeps the docs, the OpenAPI document and the health check reachable without a key', async () => {
    for (const path of ['/docs', '/redoc', '/docs-json', '/health/live']) {
      const response = await fetch(`${service.baseUrl}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      if (path === '/docs-json') {
        const document = (await response.json()) as { components: { securitySchemes: Record<string, unknown> } };
        expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      } else {
        await response.body?.cancel();
      }
    }
  });
});

interface SubmitAnswer {
  status: number;
  code?: string;
  limit: string | null;
  remaining: string | null;
  reset: string | null;
  retryAfter: string | null;
}

/** Submits as `client` until the first 429 (at most LIMIT + 2 times). */
async function submitUntilLimited(client: JobsClient, label: string): Promise<SubmitAnswer[]> {
  const answers: SubmitAnswer[] = [];
  for (let index = 0; index < LIMIT + 2; index++) {
    const { response, error } = await client.api.POST('/v1/generate', {
      body: { prompt: `${label} ${index}`, input: SMALL },
    });
    const header = (name: string) => response.headers.get(name);
    answers.push({
      status: response.status,
      code: error?.code,
      limit: header('ratelimit-limit'),
      remaining: header('ratelimit-remaining'),
      reset: header('ratelimit-reset'),
      retryAfter: header('retry-after'),
    });
    if (response.status === 429) break;
  }
  return answers;
}

/** A new window started between two answers: the reset went up, or the budget came back. */
function windowRolledOver(answers: SubmitAnswer[]): boolean {
  return answers.some(
    (answer, index) =>
      index > 0 &&
      (Number(answer.reset) > Number(answers[index - 1].reset) ||
        Number(answer.remaining) > Number(answers[index - 1].remaining)),
  );
}

describe('API keys: submit rate limit', () => {
  const env = new EnvironmentOverrides();
  let service: RunningService;
  let alice: JobsClient;
  let bob: JobsClient;

  beforeAll(async () => {
    // A prefix of its own, so the counters start empty whatever the other tests submitted.
    env.set({ QUEUE_PREFIX: `${basePrefix}-ratelimit` });
    service = await startService();
    alice = new JobsClient(service.baseUrl, ALICE);
    bob = new JobsClient(service.baseUrl, BOB);
  });
  afterAll(async () => {
    await service?.stop();
    env.restore();
  });

  it('allows each key LIMIT submits per minute, reports them in RateLimit-*, then answers 429 with Retry-After', async () => {
    // The window is a fixed wall-clock minute: keep clear of its end so the six submits share one.
    const leftInMinute = 60_000 - (Date.now() % 60_000);
    if (leftInMinute < 5_000) await sleep(leftInMinute + 250);

    let answers = await submitUntilLimited(alice, 'budget');
    const fresh = !windowRolledOver(answers);
    // Should the minute still have turned during the run, go again once, in the new window.
    if (!fresh) answers = await submitUntilLimited(alice, 'budget again');
    expect(windowRolledOver(answers)).toBe(false);

    const accepted = answers.slice(0, -1);
    const limited = answers.at(-1) as SubmitAnswer;
    if (fresh) expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 202, 429]);
    expect(accepted.every((answer) => answer.status === 202)).toBe(true);
    expect(accepted.length).toBeLessThanOrEqual(LIMIT);
    for (const [index, answer] of answers.entries()) {
      expect(answer.limit).toBe(String(LIMIT));
      expect(Number(answer.reset)).toBeGreaterThanOrEqual(1);
      expect(Number(answer.reset)).toBeLessThanOrEqual(60);
      if (index < accepted.length) {
        expect(Number(answer.remaining)).toBe(LIMIT - 1 - index - (LIMIT - accepted.length));
      }
    }
    expect(accepted.at(-1)?.remaining ?? '0').toBe('0');
    expect(limited).toMatchObject({ status: 429, code: 'rate_limited', remaining: '0' });
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(60);
    expect(limited.retryAfter).toBe(limited.reset);

    // The refused submit created no job; every accepted one did.
    const label = fresh ? 'budget' : 'budget again';
    const prompts = (await alice.api.GET('/v1/jobs', { params: { query: { limit: 100 } } })).data?.data.map(
      (job) => job.prompt,
    );
    for (const index of accepted.keys()) expect(prompts).toContain(`${label} ${index}`);
    expect(prompts).not.toContain(`${label} ${accepted.length}`);

    // Bob's budget is his own; alice stays limited until the window ends.
    const fromBob = await bob.api.POST('/v1/generate', { body: { prompt: 'bob still may', input: SMALL } });
    expect(fromBob.response.status).toBe(202);
    expect(fromBob.response.headers.get('ratelimit-limit')).toBe(String(LIMIT));
    expect(fromBob.response.headers.get('ratelimit-remaining')).toBe(String(LIMIT - 1));
    const again = await alice.api.POST('/v1/generate', { body: { prompt: 'alice once more', input: SMALL } });
    if (again.response.status === 202) {
      // Only possible if a new minute began meanwhile.
      expect(Number(again.response.headers.get('ratelimit-reset'))).toBeGreaterThan(Number(limited.reset));
    } else {
      expectProblem(again.response, again.error, 429, 'rate_limited');
      expect(again.response.headers.get('retry-after')).not.toBeNull();
    }
  });
});
