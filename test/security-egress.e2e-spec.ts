import { randomBytes } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { setTimeout as sleep } from 'node:timers/promises';
import { HostResolver } from '@app/egress';
import { DEFAULT_OUTPUT_FILE, FakeReplicate, SAMPLE_MEDIA, tinyPng } from './fakes/fake-replicate';
import { type CountingServer, startCountingServer } from './support/counting-server';
import { EnvironmentOverrides } from './support/environment-overrides';
import type { Job } from './support/jobs-client';
import { type RunningService, startService } from './support/service';

/**
 * Model outputs are untrusted (anyone can publish a model): an output URL must never make the
 * worker read a service inside the network. A stand-in "internal" service on loopback counts
 * every request it gets; names resolve through a stubbed resolver, so all traffic stays on
 * 127.0.0.1 while the policy sees the addresses an attacker's DNS would answer.
 */

const TOKEN = 'r8_egress-test-token';
const SECRET = 'TOP-SECRET-ROLE-CREDENTIALS';
const PAINTER_VERSION = 'a'.repeat(64);
const MINER_VERSION = 'b'.repeat(64);
const PINNED_VERSION = 'c'.repeat(64);

/** What the stubbed resolver answers per name; every other name is unknown. */
const DNS: Record<string, LookupAddress[]> = {
  'evil.test': [{ address: '127.0.0.1', family: 4 }],
  'mapped.test': [{ address: '::ffff:127.0.0.1', family: 6 }],
  'cdn.test': [{ address: '127.0.0.1', family: 4 }],
  'models.internal': [{ address: '127.0.0.1', family: 4 }],
};

describe('egress: model outputs and models are untrusted', () => {
  const fake = new FakeReplicate({ token: TOKEN });
  const overrides = new EnvironmentOverrides();
  let internal: CountingServer;
  let cdn: CountingServer;
  let service: RunningService;

  beforeAll(async () => {
    await fake.start();
    internal = await startCountingServer((_req, res) => res.end(SECRET));
    // A host the policy allows that redirects wherever the path says.
    cdn = await startCountingServer((req, res) => {
      const targets: Record<string, string> = {
        '/to-internal': `http://127.0.0.1:${internal.port}/latest/meta-data/iam/security-credentials/role`,
        '/to-mapped': `http://[::ffff:127.0.0.1]:${internal.port}/secret`,
        '/to-rebinding': `http://evil.test:${internal.port}/secret`,
        '/to-allowed': fake.fileUrl(DEFAULT_OUTPUT_FILE),
      };
      res.writeHead(302, { location: targets[req.url ?? ''] ?? '/' }).end();
    });
    fake.addVersion('acme/painter', PAINTER_VERSION);
    fake.addVersion('evil/miner', MINER_VERSION);
    fake.addVersion('acme/pinned', PINNED_VERSION);
    overrides.set({
      GENERATOR: '',
      REPLICATE_API_TOKEN: TOKEN,
      REPLICATE_BASE_URL: fake.baseUrl,
      REPLICATE_ALLOWED_MODELS: `acme/painter,acme/pinned:${PINNED_VERSION}`,
      REPLICATE_DEFAULT_MODEL: 'acme/painter',
      REPLICATE_POLL_INTERVAL_MS: '20',
      REPLICATE_PREDICTION_TIMEOUT_MS: '2000',
      REPLICATE_REQUEST_TIMEOUT_MS: '1000',
      OUTPUT_DOWNLOAD_TIMEOUT_MS: '1000',
      WEBHOOK_SECRETS: `whsec_${randomBytes(32).toString('base64')}`,
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_BACKOFF_MS: '100',
      // The fake's files (by address and by name) and the redirecting host; not the internal service.
      EGRESS_ALLOW_HOSTS: `127.0.0.1:${new URL(fake.origin).port},models.internal:${new URL(fake.origin).port},cdn.test:${cdn.port}`,
    });
    service = await startService();
    jest.spyOn(service.worker.get(HostResolver), 'resolve').mockImplementation(async (hostname: string) => {
      const addresses = DNS[hostname];
      if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      return addresses;
    });
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await service?.stop();
    overrides.restore();
    await Promise.all([fake.stop(), internal?.close(), cdn?.close()]);
  });

  async function run(prompt: string, output: unknown, model?: string): Promise<Job> {
    fake.script(prompt, { outcomes: [{ status: 'succeeded', output }] });
    const job = await service.client.submit({ prompt, ...(model ? { model } : {}) });
    return service.client.waitUntilDone(job.id);
  }

  const versionLookups = () => fake.requests.filter((request) => request.path.includes('/versions/')).length;

  describe('output URLs pointing inside the network are refused: job failed at once, zero hits', () => {
    it.each([
      ['loopback', 'http://127.0.0.1:PORT/latest/meta-data/iam/security-credentials/role'],
      ['one decimal number', 'http://2130706433:PORT/secret'],
      ['hex and short form', 'http://0x7f.1:PORT/secret'],
      ['one hex number', 'http://0x7f000001:PORT/secret'],
      ['one octal number', 'http://017700000001:PORT/secret'],
      ['short form', 'http://127.1:PORT/secret'],
      ['trailing dot', 'http://127.0.0.1.:PORT/secret'],
      ['IPv4-mapped IPv6', 'http://[::ffff:127.0.0.1]:PORT/secret'],
      ['IPv4-compatible IPv6', 'http://[::127.0.0.1]:PORT/secret'],
      ['NAT64', 'http://[64:ff9b::127.0.0.1]:PORT/secret'],
      ['IPv6 loopback', 'http://[::1]:PORT/secret'],
      ['unspecified (reaches this host on Linux)', 'http://0.0.0.0:PORT/secret'],
      ['zero', 'http://0:PORT/secret'],
      ['localhost', 'http://localhost:PORT/secret'],
      ['https to loopback', 'https://127.0.0.1:PORT/secret'],
      ['a name resolving to loopback (rebinding)', 'http://evil.test:PORT/secret'],
      ['a name resolving to IPv4-mapped loopback', 'http://mapped.test:PORT/secret'],
      ['credentials naming an allowed host', 'http://127.0.0.1:FAKE@127.0.0.1:PORT/secret'],
      ['a redirect from an allowed host to the internal service', 'http://cdn.test:CDN/to-internal'],
      ['a redirect from an allowed host to IPv4-mapped loopback', 'http://cdn.test:CDN/to-mapped'],
      ['a redirect from an allowed host to a rebinding name', 'http://cdn.test:CDN/to-rebinding'],
    ])('%s: %s', async (spelling, template) => {
      const url = template
        .replace('PORT', String(internal.port))
        .replace('CDN', String(cdn.port))
        .replace('FAKE', new URL(fake.origin).port);

      const job = await run(`refused: ${spelling}`, [url]);

      expect(job).toMatchObject({
        status: 'failed',
        attempts: 1,
        outputs: [],
        error: { code: 'output_url_refused', retryable: false },
      });
      expect(job.error?.message).not.toContain(SECRET);
      expect(internal.hits).toEqual([]);
    });

    it('refuses the whole job when one of several outputs is internal', async () => {
      const job = await run('one bad output among good ones', [
        fake.fileUrl(DEFAULT_OUTPUT_FILE),
        `http://2130706433:${internal.port}/secret`,
      ]);

      expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'output_url_refused' } });
      expect(internal.hits).toEqual([]);
    });
  });

  describe('legitimate outputs still work', () => {
    it('stores a data: output', async () => {
      const png = SAMPLE_MEDIA.png.body;

      const job = await run('inline', [`data:image/png;base64,${png.toString('base64')}`]);

      expect(job).toMatchObject({ status: 'succeeded', outputs: [{ contentType: 'image/png', bytes: png.length }] });
    });

    it.each([
      ['listed as host:port', () => fake.fileUrl(DEFAULT_OUTPUT_FILE)],
      [
        'listed by name (resolving to a private address)',
        () => `http://models.internal:${new URL(fake.origin).port}/files/${DEFAULT_OUTPUT_FILE}`,
      ],
      ['reached through a redirect from an allowed host', () => `http://cdn.test:${cdn.port}/to-allowed`],
    ])('downloads from an EGRESS_ALLOW_HOSTS host %s', async (name, url) => {
      const job = await run(`allowed: ${name}`, [url()]);

      expect(job).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
      const media = await service.client.media(job.outputs[0].url);
      expect(Buffer.from(await media.arrayBuffer())).toEqual(tinyPng());
    });

    it('says only that a download failed, not what the server answered', async () => {
      fake.addFile({ name: 'gone.png', contentType: 'image/png', body: tinyPng(), status: 404 });

      const job = await run('gone', [fake.fileUrl('gone.png')]);

      expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'output_unavailable' } });
      expect(job.error?.message).toBe('Downloading an output failed');
    });
  });

  describe('webhooks go through the same policy', () => {
    it('refuses, at delivery time, a receiver whose name resolves to loopback (rebinding), with zero hits', async () => {
      const { data } = await service.client.api.POST('/v1/generate', {
        body: {
          prompt: 'webhook rebinding',
          webhook: `http://evil.test:${internal.port}/hook`,
          webhookEvents: ['completed'],
        },
      });
      const id = data?.id as string;
      await service.client.waitUntilDone(id);

      const delivery = await settledDelivery(id);

      expect(delivery).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastStatusCode: null,
        lastError: 'The destination evil.test resolves to no public address',
      });
      expect(internal.hits).toEqual([]);
    });

    async function settledDelivery(id: string) {
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(25)) {
        const { data } = await service.client.api.GET('/v1/jobs/{id}/deliveries', { params: { path: { id } } });
        const [delivery] = data?.data ?? [];
        if (delivery && delivery.status !== 'pending') return delivery;
      }
      throw new Error(`the delivery of job ${id} did not settle`);
    }
  });

  describe('REPLICATE_ALLOWED_MODELS', () => {
    it('runs a version of a listed model once the upstream confirms it belongs there, asking once', async () => {
      const before = versionLookups();

      const first = await run('painter version', ['{{file:default.png}}'], `acme/painter:${PAINTER_VERSION}`);
      const second = await run('painter version again', ['{{file:default.png}}'], `acme/painter:${PAINTER_VERSION}`);

      expect(first).toMatchObject({ status: 'succeeded', model: `acme/painter:${PAINTER_VERSION}` });
      expect(second).toMatchObject({ status: 'succeeded' });
      expect(fake.prediction(fake.stats('painter version').predictionIds[0])?.model).toBe('acme/painter');
      expect(versionLookups() - before).toBe(1);
    });

    it('fails, without creating a prediction, a listed model named with another model’s version', async () => {
      const job = await run('smuggled version', ['{{file:default.png}}'], `acme/painter:${MINER_VERSION}`);

      expect(job).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: { code: 'model_not_allowed', retryable: false },
      });
      expect(fake.stats('smuggled version').createRequests).toBe(0);
    });

    it('runs an exactly listed version without asking the upstream', async () => {
      const before = versionLookups();

      const job = await run('pinned', ['{{file:default.png}}'], `acme/pinned:${PINNED_VERSION}`);

      expect(job).toMatchObject({ status: 'succeeded' });
      expect(versionLookups()).toBe(before);
    });

    it.each([
      ['an unlisted model', 'evil/miner'],
      ['a version of an unlisted model', `evil/miner:${MINER_VERSION}`],
      ['another version of a model listed at one version', `acme/pinned:${PAINTER_VERSION}`],
      ['the latest version of a model listed at one version', 'acme/pinned'],
    ])('refuses %s at submit with 400 naming model', async (_case, model) => {
      const response = await service.client.post('/v1/generate', JSON.stringify({ prompt: 'not allowed', model }));

      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ errors: [{ field: 'model' }] });
      expect(fake.stats('not allowed').createRequests).toBe(0);
    });

    it.each([
      ['a bare ..', '..'],
      ['a dot-dot name', 'acme/..'],
      ['a dot-dot owner', '../painter'],
      ['percent-encoded dots', 'acme/%2e%2e'],
      ['a dot-dot version', 'acme/painter:..'],
      ['a path', 'acme/painter/versions/x'],
      ['a 300-character name', `acme/${'p'.repeat(300)}`],
      ['an empty version', 'acme/painter:'],
    ])('refuses %s as a model reference: 400 problem+json naming model', async (_case, model) => {
      const response = await service.client.post('/v1/generate', JSON.stringify({ prompt: 'bad reference', model }));

      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await response.json()).toMatchObject({ errors: [expect.objectContaining({ field: 'model' })] });
    });
  });
});
