import { createHash, randomBytes, randomUUID } from 'node:crypto';
import Replicate, { type ApiError, type FileOutput, type Prediction, validateWebhook } from 'replicate';
import { FakeReplicate, SAMPLE_MEDIA } from './fakes/fake-replicate';
import { EnvironmentOverrides } from './support/environment-overrides';
import { createIsolatedDatabase, type IsolatedDatabase } from './support/isolated-database';
import { deleteKeys } from './support/redis-keys';
import { type RunningService, useService } from './support/service';
import { type ReceivedRequest, WebhookReceiver } from './support/webhook-receiver';

const ALICE = 'alice-secret';
const BOB = 'bob-secret';
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
/**
 * The address clients know the service by. Replicate's client only turns `https:` outputs into
 * FileOutput objects, so the service is published on https; the clients' fetch below stands in
 * for the TLS proxy in front of it and sends the requests to the api on loopback.
 */
const PUBLIC = 'https://mediagen.test';

const sha256 = (value: string | Buffer) => createHash('sha256').update(value).digest('hex');

// Owners are API key names and lists are paged, so the file gets a database of its own.
const fileEnv = new EnvironmentOverrides();
const basePrefix = process.env.QUEUE_PREFIX as string;
let database: IsolatedDatabase;

beforeAll(async () => {
  database = await createIsolatedDatabase('compat');
  fileEnv.set({
    DATABASE_URL: database.url,
    API_KEYS: `alice:${sha256(ALICE)},bob:${sha256(BOB)}`,
    PUBLIC_BASE_URL: PUBLIC,
    WEBHOOK_SECRETS: SECRET,
    WEBHOOK_ALLOW_HTTP: 'true',
    EGRESS_ALLOW_HOSTS: '127.0.0.1',
    WEBHOOK_BACKOFF_MS: '100',
    REPLICATE_ALLOWED_MODELS: 'acme/painter,acme/pinned:abc123',
  });
});

afterAll(async () => {
  fileEnv.restore();
  await database?.drop();
  await deleteKeys(`${basePrefix}*`);
});

interface SentRequest {
  method: string;
  url: string;
  headers: Headers;
  status: number;
  responseHeaders: Headers;
}

/** The official client, pointed at the service by its base URL and an API key: nothing else changes. */
function replicateFor(service: () => RunningService, auth: string, useFileOutput = true) {
  const sent: SentRequest[] = [];
  const proxy: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const target = request.url.replace(PUBLIC, service().baseUrl);
    const response = await fetch(new Request(target, request));
    sent.push({
      method: request.method,
      url: request.url,
      headers: request.headers,
      status: response.status,
      responseHeaders: response.headers,
    });
    return response;
  };
  return { replicate: new Replicate({ auth, baseUrl: `${PUBLIC}/v1`, fetch: proxy, useFileOutput }), sent };
}

/** What a refused call of the client carries: the HTTP status and the JSON body. */
async function refusal(call: Promise<unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const error = await call.then(
    () => {
      throw new Error('expected the call to be refused');
    },
    (thrown: unknown) => thrown,
  );
  // The client's ApiError (not exported at run time): the response and a message ending in the body.
  const { response, message } = error as ApiError;
  expect(response).toBeInstanceOf(Response);
  return {
    status: response.status,
    body: JSON.parse(message.slice(message.indexOf('{'), message.lastIndexOf('}') + 1)),
  };
}

/** The output files of a prediction as its owner reads them from the native API: URL path → sha256. */
async function storedChecksums(service: RunningService, id: string): Promise<Map<string, string>> {
  const response = await fetch(`${service.baseUrl}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${ALICE}` } });
  const job = (await response.json()) as { outputs: { url: string; sha256: string }[] };
  return new Map(job.outputs.map((output) => [new URL(output.url).pathname, output.sha256]));
}

async function blobChecksum(output: FileOutput): Promise<string> {
  return sha256(Buffer.from(await (await output.blob()).arrayBuffer()));
}

/**
 * The flow every Replicate user starts with, the same whatever generates: `run` in both output
 * modes and both output shapes, a pinned version by its bare id, and a signed webhook.
 * `script(prompt, shape)` prepares what the generator will make for `prompt`; it returns the
 * input that asks for that shape.
 */
function coreFlow(
  service: () => RunningService,
  script: (prompt: string, shape: 'single' | 'list') => Record<string, unknown>,
) {
  it('run() gives a single output as a FileOutput whose bytes are the stored file, fetched without a key', async () => {
    const { replicate, sent } = replicateFor(service, ALICE);
    const input = { prompt: 'one fox', ...script('one fox', 'single') };

    const output = (await replicate.run('acme/painter', { input })) as FileOutput;

    expect(typeof output.blob).toBe('function');
    const url = output.url();
    expect(url.origin).toBe(PUBLIC);
    expect(url.searchParams.get('token')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const id = url.pathname.split('/')[3];
    const checksums = await storedChecksums(service(), id);
    expect(await blobChecksum(output)).toBe(checksums.get(url.pathname));
    const fileFetch = sent.find((request) => request.url === url.href);
    expect(fileFetch?.headers.get('authorization')).toBeNull();
    expect(fileFetch?.status).toBe(200);
  });

  it('run() gives a list output as a list of URL strings when useFileOutput is off', async () => {
    const { replicate } = replicateFor(service, ALICE, false);
    const input = { prompt: 'two foxes', ...script('two foxes', 'list') };

    const output = (await replicate.run('acme/painter', { input })) as string[];

    expect(output).toHaveLength(2);
    for (const url of output)
      expect(url).toMatch(/^https:\/\/mediagen\.test\/v1\/media\/[0-9a-f-]{36}\/[01]\.\w+\?token=/);
    const id = new URL(output[0]).pathname.split('/')[3];
    const checksums = await storedChecksums(service(), id);
    for (const url of output) {
      const response = await fetch(url.replace(PUBLIC, service().baseUrl));
      expect(response.status).toBe(200);
      expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(checksums.get(new URL(url).pathname));
    }
  });

  it('runs a pinned version sent as a bare version id through the allow-list entry that pins it', async () => {
    const { replicate } = replicateFor(service, ALICE, false);
    const input = { prompt: 'pinned fox', ...script('pinned fox', 'single') };
    let created: Prediction | undefined;

    await replicate.run('acme/pinned:abc123', { input }, (prediction) => {
      created ??= prediction;
    });

    expect(created).toMatchObject({ model: 'acme/pinned', version: 'abc123' });
  });

  it('delivers the completed prediction to a webhook, verified by the client’s validateWebhook with the key’s secret', async () => {
    const receiver = new WebhookReceiver();
    await receiver.start();
    try {
      const { replicate } = replicateFor(service, ALICE);
      const { secret } = (await (await replicate.request('/webhooks/secret', { method: 'GET' })).json()) as {
        secret: string;
      };
      const input = { prompt: 'hooked fox', ...script('hooked fox', 'single') };

      const prediction = await replicate.predictions.create({
        model: 'acme/painter',
        input,
        webhook: receiver.script('/hook'),
        webhook_events_filter: ['start', 'completed'],
      });

      const [start, completed] = await receiver.waitFor('/hook', 2);
      // As a receiver would: the request as it arrived, verified by the client's own helper.
      const asArrived = (delivery: ReceivedRequest) =>
        new Request(`${receiver.origin}/hook`, {
          method: 'POST',
          headers: delivery.headers as Record<string, string>,
          body: delivery.body,
        });
      for (const delivery of [start, completed]) {
        expect(await validateWebhook(asArrived(delivery), secret)).toBe(true);
        expect(await validateWebhook(asArrived(delivery), SECRET)).toBe(false);
      }
      expect(JSON.parse(start.body)).toMatchObject({ id: prediction.id, status: 'processing', output: null });
      const body = JSON.parse(completed.body);
      expect(body).toEqual(await replicate.predictions.get(prediction.id));
      expect(body).toMatchObject({ status: 'succeeded', output: expect.stringMatching(/^https:\/\/mediagen\.test\//) });
    } finally {
      await receiver.close();
    }
  });
}

describe('Replicate-compatible API, with the mock generator', () => {
  const running = useService({ GENERATOR: 'mock', MOCK_LATENCY_MS: '200', MOCK_FAILURE_RATE: '0' });
  const service = () => running.service;
  const small = { width: 16, height: 16 };

  coreFlow(service, (_prompt, shape) => (shape === 'list' ? { ...small, num_outputs: 2 } : small));

  it('creates, waits for and reads a prediction in Replicate’s shape', async () => {
    const { replicate } = replicateFor(service, ALICE);

    const created = await replicate.predictions.create({ model: 'acme/painter', input: { prompt: 'a fox', ...small } });
    const done = await replicate.wait(created, { interval: 50 });
    const read = await replicate.predictions.get(created.id);

    expect(created).toMatchObject({ status: 'starting', output: null, model: 'acme/painter', version: null });
    expect(read).toEqual(done);
    expect(read).toMatchObject({
      id: created.id,
      status: 'succeeded',
      input: { prompt: 'a fox', ...small },
      error: null,
      logs: '',
      urls: { get: `${PUBLIC}/v1/predictions/${created.id}`, cancel: `${PUBLIC}/v1/predictions/${created.id}/cancel` },
    });
    expect(read.metrics?.predict_time).toBeGreaterThan(0.1);
    expect(Date.parse(read.completed_at as string)).toBeGreaterThanOrEqual(Date.parse(read.started_at as string));
  });

  it('waits as Prefer: wait asks, through the client’s wait option (bare, and with seconds)', async () => {
    const { replicate, sent } = replicateFor(service, ALICE);

    const bare = await replicate.predictions.create({
      model: 'acme/painter',
      input: { prompt: 'now', ...small },
      wait: true,
    });
    const timed = await replicate.predictions.create({
      model: 'acme/painter',
      input: { prompt: 'soon', ...small },
      wait: 5,
    });

    expect([bare.status, timed.status]).toEqual(['succeeded', 'succeeded']);
    const creates = sent.filter((request) => request.method === 'POST');
    expect(creates.map((request) => request.headers.get('prefer'))).toEqual(['wait', 'wait=5']);
    expect(creates.map((request) => [request.status, request.responseHeaders.get('preference-applied')])).toEqual([
      [201, 'wait=60'],
      [201, 'wait=5'],
    ]);
  });

  it('cancels a prediction, and says so when run() fails', async () => {
    const { replicate } = replicateFor(service, ALICE);
    const created = await replicate.predictions.create({ model: 'acme/painter', input: { prompt: 'stop', ...small } });

    const canceled = await replicate.predictions.cancel(created.id);

    expect(canceled).toMatchObject({ id: created.id, status: 'canceled', output: null });
    await expect(
      replicate.run('acme/painter', { input: { prompt: 'doomed', fail_permanently: true, ...small } }),
    ).rejects.toThrow('Prediction failed: The mock generator was asked to fail permanently');
  });

  it('pages through the list with next URLs, newest first, only the key’s own predictions', async () => {
    const { replicate } = replicateFor(service, BOB);
    const ids: string[] = [];
    for (const prompt of ['p1', 'p2', 'p3']) {
      ids.push((await replicate.predictions.create({ model: 'acme/painter', input: { prompt, ...small } })).id);
    }

    const pages: Prediction[][] = [];
    const firstPage = () => replicate.request('/predictions?limit=2', { method: 'GET' }).then((r) => r.json());
    for await (const page of replicate.paginate(firstPage)) pages.push(page as Prediction[]);
    const all = await replicate.predictions.list();

    expect(pages.map((page) => page.map((prediction) => prediction.id))).toEqual([[ids[2], ids[1]], [ids[0]]]);
    expect(all).toMatchObject({ previous: null, next: null });
    expect(all.results.map((prediction) => prediction.id)).toEqual([ids[2], ids[1], ids[0]]);
  });

  it('hides another key’s prediction (404) and refuses bad requests with detail and status', async () => {
    const alice = replicateFor(service, ALICE).replicate;
    const bob = replicateFor(service, BOB).replicate;
    const { id } = await alice.predictions.create({ model: 'acme/painter', input: { prompt: 'mine', ...small } });

    const hidden = await refusal(bob.predictions.get(id));
    const noPrompt = await refusal(alice.predictions.create({ model: 'acme/painter', input: { width: 16 } }));
    const unknownVersion = await refusal(alice.predictions.create({ version: 'fff999', input: { prompt: 'x' } }));
    const invalid = await refusal(alice.predictions.create({ version: 'acme/painter', input: 'a fox' as never }));
    const wrongKey = await refusal(replicateFor(service, 'nobody').replicate.predictions.list());

    expect(hidden).toMatchObject({ status: 404, body: { status: 404, detail: `No job with id ${id}` } });
    expect(noPrompt).toMatchObject({
      status: 400,
      body: { status: 400, detail: expect.any(String), errors: [{ field: 'input.prompt' }] },
    });
    expect(unknownVersion).toMatchObject({
      status: 422,
      body: { status: 422, detail: expect.stringContaining('Invalid version or not permitted') },
    });
    expect(invalid).toMatchObject({ status: 400, body: { status: 400, errors: [{ field: 'input' }] } });
    expect(wrongKey).toMatchObject({ status: 401, body: { status: 401, detail: expect.any(String) } });
  });

  it('honours Idempotency-Key: the same request again is the same prediction', async () => {
    const send = () =>
      fetch(`${service().baseUrl}/v1/predictions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json', 'idempotency-key': 'once' },
        body: JSON.stringify({ version: 'acme/painter', input: { prompt: 'once', ...small } }),
      });

    const first = await send();
    const again = await send();

    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as Prediction).id).toBe(((await first.json()) as Prediction).id);
  });

  it('serves an output only to its own token or the owner’s key', async () => {
    const { replicate } = replicateFor(service, ALICE, false);
    const url = (await replicate.run('acme/painter', { input: { prompt: 'guarded', ...small } })) as unknown as string;
    const local = new URL(url.replace(PUBLIC, service().baseUrl));
    const other = new URL(local);
    other.searchParams.set('token', randomUUID());
    const bare = new URL(local);
    bare.search = '';

    expect((await fetch(local)).status).toBe(200);
    expect((await fetch(other)).status).toBe(404);
    expect((await fetch(bare)).status).toBe(401);
    expect((await fetch(bare, { headers: { authorization: `Bearer ${BOB}` } })).status).toBe(404);
  });
});

describe('Replicate-compatible API, with Replicate upstream (our service in the middle)', () => {
  const TOKEN = 'r8_upstream-token';
  const fake = new FakeReplicate({ token: TOKEN });
  const files = { 'a.png': SAMPLE_MEDIA.png, 'b.jpg': SAMPLE_MEDIA.jpeg };
  beforeAll(async () => {
    await fake.start();
    fake.addVersion('acme/pinned', 'abc123');
  });
  afterAll(() => fake.stop());
  const running = useService(fake.serviceSettings({ REPLICATE_POLL_INTERVAL_MS: '20' }));
  const service = () => running.service;

  coreFlow(service, (prompt, shape) => {
    fake.script(prompt, {
      files: Object.entries(files).map(([name, media]) => ({ name, ...media })),
      processingPolls: 3,
      outcomes: [
        { status: 'succeeded', output: shape === 'single' ? '{{file:a.png}}' : ['{{file:a.png}}', '{{file:b.jpg}}'] },
      ],
    });
    return {};
  });

  it('keeps the model’s own output shape, an object holding files included', async () => {
    fake.script('an object', {
      files: [{ name: 'c.png', ...SAMPLE_MEDIA.png }],
      outcomes: [{ status: 'succeeded', output: { image: '{{file:c.png}}', seed: 42 } }],
    });
    const { replicate } = replicateFor(service, ALICE, false);

    const output = (await replicate.run('acme/painter', { input: { prompt: 'an object' } })) as Record<string, unknown>;

    expect(output).toEqual({ image: expect.stringMatching(/^https:\/\/mediagen\.test\/v1\/media\//), seed: 42 });
    const response = await fetch((output.image as string).replace(PUBLIC, service().baseUrl));
    expect(Buffer.from(await response.arrayBuffer())).toEqual(SAMPLE_MEDIA.png.body);
  });
});
