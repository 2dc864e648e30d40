import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningService, startService } from './support/service';

// s3rver ships no types; this is the part used here.
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
const S3rver: new (options: Record<string, unknown>) => S3rverServer = require('s3rver');

// The whole flow with STORAGE_DRIVER=s3 against an S3-protocol server on loopback (s3rver).
describe('media in S3', () => {
  let s3: S3rverServer;
  let directory: string;
  let service: RunningService;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mediagen-s3-'));
    s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: 'media' }] });
    const address = await s3.run();
    Object.assign(process.env, {
      STORAGE_DRIVER: 's3',
      S3_BUCKET: 'media',
      S3_ENDPOINT: `http://127.0.0.1:${address.port}`,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_KEY_PREFIX: 'e2e/',
      S3_URL_TTL_SECONDS: '120',
    });
    service = await startService();
  });
  afterAll(async () => {
    await service.stop();
    await s3.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('stores outputs in the bucket and redirects downloads to a presigned URL', async () => {
    const { client } = service;
    const job = await client.waitUntilDone(
      (await client.submit({ prompt: 'to the cloud', input: { width: 32, height: 32 } })).id,
    );
    const [output] = job.outputs;

    const redirect = await fetch(`${service.baseUrl}${new URL(output.url).pathname}`, { redirect: 'manual' });
    const location = redirect.status === 302 ? redirect.headers.get('location') : null;
    const download = await fetch(location as string);
    const body = Buffer.from(await download.arrayBuffer());

    expect(job.status).toBe('succeeded');
    expect(redirect.status).toBe(302);
    expect(location).toContain(`/media/e2e/${job.id}/attempt-1-0.png`);
    expect(location).toContain('X-Amz-Expires=120');
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(createHash('sha256').update(body).digest('hex')).toBe(output.sha256);
  });
});
