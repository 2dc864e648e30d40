import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeReplicate, tinyPng } from './fakes/fake-replicate';
import { EnvironmentOverrides } from './support/environment-overrides';
import { type Job, JobsClient } from './support/jobs-client';
import { deleteKeys } from './support/redis-keys';
import { type RunningService, startService } from './support/service';

// s3rver ships no types; this is the part used here.
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
const S3rver: new (options: Record<string, unknown>) => S3rverServer = require('s3rver');

const TOKEN = 'r8_media-serving-token';
const KEY = 'media-serving-key';
const FOREVER = 'max-age=31536000, immutable';

interface Case {
  /** The type the model declared for its output (a data: URI), and so the type stored. */
  stored: string;
  body: Buffer;
  /** How the api must serve it. */
  served: string;
  disposition: 'inline' | 'attachment';
}

/** Model outputs, hostile ones first: none of these may be rendered as a document on the api's origin. */
const CASES: Case[] = [
  {
    stored: 'text/html',
    body: Buffer.from('<script>fetch("/v1/jobs").then((r) => r.text()).then(alert)</script>'),
    served: 'application/octet-stream',
    disposition: 'attachment',
  },
  {
    stored: 'image/svg+xml',
    body: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"/>'),
    served: 'application/octet-stream',
    disposition: 'attachment',
  },
  {
    stored: 'application/xml',
    body: Buffer.from('<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>'),
    served: 'application/octet-stream',
    disposition: 'attachment',
  },
  {
    stored: 'application/octet-stream',
    body: Buffer.from('<html><script>alert(1)</script></html>'),
    served: 'application/octet-stream',
    disposition: 'attachment',
  },
  { stored: 'image/png', body: tinyPng(), served: 'image/png', disposition: 'inline' },
  {
    stored: 'application/json',
    body: Buffer.from('{"caption":"a fox"}'),
    served: 'application/json',
    disposition: 'inline',
  },
];

const dataUri = ({ stored, body }: Case) => `data:${stored};base64,${body.toString('base64')}`;
const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');
type Output = Job['outputs'][number];
const fileOf = (output: Output) => new URL(output.url).pathname.split('/').pop();

function expectSecurityHeaders(response: Response): void {
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('content-security-policy')).toBe('sandbox');
}

/** Checks one answer carrying an output's bytes (from the api or from S3) against its case. */
async function expectServedAs(response: Response, output: Output, expected: Case): Promise<void> {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe(expected.served);
  expect(response.headers.get('content-disposition')).toBe(`${expected.disposition}; filename="${fileOf(output)}"`);
  expect(Buffer.from(await response.arrayBuffer()).equals(expected.body)).toBe(true);
}

afterAll(async () => {
  await deleteKeys(`${process.env.QUEUE_PREFIX}:*`);
});

/**
 * Starts a fake Replicate and the service with `env` around the enclosing describe, then runs one job
 * (`prompt`) whose model returns every case's bytes as a data: URI, in order.
 */
function serviceWithEveryCase(prompt: string, env: () => Promise<Record<string, string>> = async () => ({})) {
  const fake = new FakeReplicate({ token: TOKEN });
  const overrides = new EnvironmentOverrides();
  const running: { service?: RunningService; job?: Job } = {};
  beforeAll(async () => {
    await fake.start();
    overrides.set({
      GENERATOR: 'replicate',
      REPLICATE_API_TOKEN: TOKEN,
      REPLICATE_BASE_URL: fake.baseUrl,
      REPLICATE_DEFAULT_MODEL: 'acme/painter',
      REPLICATE_POLL_INTERVAL_MS: '20',
      ...(await env()),
    });
    running.service = await startService();
    running.job = await runEveryCase();
  });
  afterAll(async () => {
    await running.service?.stop();
    await fake.stop();
    overrides.restore();
  });

  async function runEveryCase(): Promise<Job> {
    const { client } = running.service as RunningService;
    fake.script(prompt, { outcomes: [{ status: 'succeeded', output: CASES.map(dataUri) }] });
    const job = await client.waitUntilDone((await client.submit({ prompt })).id);
    expect(job.status).toBe('succeeded');
    expect(job.outputs.map((output) => [output.contentType, output.sha256])).toEqual(
      CASES.map(({ stored, body }) => [stored, sha256(body)]),
    );
    return job;
  }

  /** One test per case (titled with its stored type), given the output the job made for it. */
  function itForEachCase(title: string, test: (output: Output, expected: Case) => Promise<void>): void {
    it.each(CASES.map((expected, index) => [expected.stored, index] as const))(title, (_, index) =>
      test((running.job as Job).outputs[index], CASES[index]),
    );
  }
  return { running, itForEachCase };
}

describe('media served by the api (local storage, open API)', () => {
  const { running, itForEachCase } = serviceWithEveryCase('every kind of output');

  itForEachCase(
    'serves a stored %s only as its allow-listed type, with nosniff, a sandbox CSP and public caching',
    async (output, expected) => {
      const response = await running.service?.client.media(output.url);

      expectSecurityHeaders(response as Response);
      expect(response?.headers.get('cache-control')).toBe(`public, ${FOREVER}`);
      await expectServedAs(response as Response, output, expected);
    },
  );

  it('puts the same headers on a 304, a missing file, a bad id and an unknown path under /v1/media', async () => {
    const { client } = running.service as RunningService;
    const job = running.job as Job;
    const html = job.outputs[0];
    const path = new URL(html.url).pathname;

    const notModified = await client.media(html.url, { 'if-none-match': `"${html.sha256}"` });
    const missing = await client.get(`/v1/media/${job.id}/99.png`);
    const badId = await client.get('/v1/media/not-a-uuid/0.png');
    const unknownRoute = await client.get(`${path}/more`);

    expect([notModified.status, missing.status, badId.status, unknownRoute.status]).toEqual([304, 404, 400, 404]);
    for (const response of [notModified, missing, badId, unknownRoute]) expectSecurityHeaders(response);
  });
});

describe('media with API keys on', () => {
  const overrides = new EnvironmentOverrides();
  let service: RunningService;

  beforeAll(async () => {
    overrides.set({ API_KEYS: `media:${sha256(Buffer.from(KEY))}` });
    service = await startService();
  });
  afterAll(async () => {
    await service?.stop();
    overrides.restore();
  });

  it('is cacheable privately only, and refused without a key with the same protective headers', async () => {
    const api = new JobsClient(service.baseUrl, KEY);
    const job = await api.waitUntilDone(
      (await api.submit({ prompt: 'private fox', input: { width: 16, height: 16 } })).id,
    );
    const path = new URL(job.outputs[0].url).pathname;

    const withKey = await fetch(`${service.baseUrl}${path}`, { headers: { authorization: `Bearer ${KEY}` } });
    const withoutKey = await fetch(`${service.baseUrl}${path}`);

    expect(withKey.status).toBe(200);
    expect(withKey.headers.get('cache-control')).toBe(`private, ${FOREVER}`);
    expect(withKey.headers.get('content-type')).toBe('image/png');
    expectSecurityHeaders(withKey);
    expect(withoutKey.status).toBe(401);
    expectSecurityHeaders(withoutKey);
  });
});

describe('media in S3 (presigned URLs)', () => {
  let s3: S3rverServer | undefined;
  let directory = '';
  const { running, itForEachCase } = serviceWithEveryCase('every kind of output, in S3', async () => {
    directory = await mkdtemp(join(tmpdir(), 'mediagen-serving-s3-'));
    s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: 'media' }] });
    const { port } = await s3.run();
    return {
      STORAGE_DRIVER: 's3',
      S3_BUCKET: 'media',
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_KEY_PREFIX: 'serving/',
    };
  });
  afterAll(async () => {
    await s3?.close();
    await rm(directory, { recursive: true, force: true });
  });

  itForEachCase(
    'redirects a stored %s to a URL that S3 answers with the same type and disposition as the api',
    async (output, expected) => {
      const { baseUrl } = running.service as RunningService;

      const redirect = await fetch(`${baseUrl}${new URL(output.url).pathname}`, { redirect: 'manual' });
      const location = redirect.headers.get('location');

      expect(redirect.status).toBe(302);
      expectSecurityHeaders(redirect);
      expect(location).toContain(`/media/serving/${(running.job as Job).id}/attempt-1-${fileOf(output)}`);
      await expectServedAs(await fetch(location as string), output, expected);
    },
  );
});
