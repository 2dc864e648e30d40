import { createHash } from 'node:crypto';
import { FakeReplicate, type OutputFile, SAMPLE_MEDIA, type Scenario } from './fakes/fake-replicate';
import { type Job, JobsClient } from './support/jobs-client';
import { type RunningService, startService } from './support/service';

const TOKEN = 'r8_test-token-never-shown';
const SUCCEEDS = { status: 'succeeded', output: ['{{file:default.png}}'] } as const;
const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');
const file = (name: string, media: keyof typeof SAMPLE_MEDIA, extra: Partial<OutputFile> = {}): OutputFile => ({
  name,
  ...SAMPLE_MEDIA[media],
  ...extra,
});

describe('real generation through Replicate (a fake Replicate server driven by the real client)', () => {
  const fake = new FakeReplicate({ token: TOKEN });
  let service: RunningService;
  let client: JobsClient;

  beforeAll(async () => {
    await fake.start();
    Object.assign(process.env, {
      GENERATOR: '',
      REPLICATE_API_TOKEN: TOKEN,
      REPLICATE_BASE_URL: fake.baseUrl,
      REPLICATE_ALLOWED_MODELS: 'acme/painter,acme/pinned:abc123',
      REPLICATE_DEFAULT_MODEL: 'acme/painter',
      REPLICATE_POLL_INTERVAL_MS: '20',
      REPLICATE_PREDICTION_TIMEOUT_MS: '1000',
      REPLICATE_REQUEST_TIMEOUT_MS: '1000',
      OUTPUT_DOWNLOAD_TIMEOUT_MS: '400',
      MAX_OUTPUT_BYTES: '4096',
    });
    service = await startService();
    ({ client } = service);
  });
  afterAll(async () => {
    await service.stop();
    await fake.stop();
  });

  async function run(prompt: string, scenario: Scenario, extra: Record<string, unknown> = {}): Promise<Job> {
    fake.script(prompt, scenario);
    const job = await client.waitUntilDone((await client.submit({ prompt, ...extra })).id);
    expect(JSON.stringify(job)).not.toContain(TOKEN);
    return job;
  }

  it('stores every output of a succeeded prediction, whatever its media type and shape', async () => {
    const inline = `data:image/png;base64,${SAMPLE_MEDIA.png.body.toString('base64')}`;
    const job = await run(
      'many kinds',
      {
        files: [
          file('a.jpg', 'jpeg'),
          file('b.webp', 'webp', { contentType: 'application/octet-stream' }),
          file('c.gif', 'gif'),
          file('d.mp4', 'mp4'),
          file('e.wav', 'wav'),
          file('f.mp3', 'mp3'),
        ],
        outcomes: [
          {
            status: 'succeeded',
            output: {
              images: ['{{file:a.jpg}}', '{{file:b.webp}}', '{{file:c.gif}}'],
              video: '{{file:d.mp4}}',
              audio: [{ url: '{{file:e.wav}}' }, '{{file:f.mp3}}'],
              preview: inline,
            },
          },
        ],
      },
      { input: { guidance: 3 } },
    );

    expect(job).toMatchObject({ status: 'succeeded', attempts: 1, error: null, model: 'acme/painter' });
    const expected = [
      ['image/jpeg', SAMPLE_MEDIA.jpeg.body],
      ['image/webp', SAMPLE_MEDIA.webp.body],
      ['image/gif', SAMPLE_MEDIA.gif.body],
      ['video/mp4', SAMPLE_MEDIA.mp4.body],
      ['audio/wav', SAMPLE_MEDIA.wav.body],
      ['audio/mpeg', SAMPLE_MEDIA.mp3.body],
      ['image/png', SAMPLE_MEDIA.png.body],
    ] as const;
    expect(job.outputs.map((output) => output.contentType)).toEqual(expected.map(([type]) => type));
    for (const [index, [contentType, body]] of expected.entries()) {
      const output = job.outputs[index];
      expect(output).toMatchObject({ bytes: body.length, sha256: sha256(body) });
      const response = await client.media(output.url);
      expect(response.headers.get('content-type')).toBe(contentType);
      expect(Buffer.from(await response.arrayBuffer())).toEqual(body);
    }
    const stats = fake.stats('many kinds');
    expect(stats).toMatchObject({ createRequests: 1, predictionsCreated: 1 });
    const prediction = fake.prediction(stats.predictionIds[0]);
    expect(prediction?.input).toEqual({ prompt: 'many kinds', guidance: 3 });
  });

  it('uses the version endpoint for owner/name:version models', async () => {
    const job = await run('pinned', { outcomes: [SUCCEEDS] }, { model: 'acme/pinned:abc123' });

    expect(job).toMatchObject({ status: 'succeeded', model: 'acme/pinned:abc123' });
    expect(fake.prediction(fake.stats('pinned').predictionIds[0])?.version).toBe('abc123');
  });

  it('refuses a model outside the allow-list at submit, before any prediction', async () => {
    const response = await client.post('/v1/generate', JSON.stringify({ prompt: 'forbidden', model: 'evil/model' }));

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'invalid_input', errors: [{ field: 'model' }] });
    expect(fake.stats('forbidden').createRequests).toBe(0);
  });

  it('fails at once, with one create request, when Replicate rejects the input (422)', async () => {
    const job = await run('bad input', {
      createFailures: [
        {
          status: 422,
          body: {
            title: 'Input validation failed',
            detail: 'Invalid input',
            status: 422,
            invalid_fields: [{ type: 'required', field: 'width', description: 'width must be at most 1440' }],
          },
        },
      ],
    });

    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'invalid_input', retryable: false } });
    expect(job.error?.message).toContain('width must be at most 1440');
    expect(fake.stats('bad input')).toMatchObject({ createRequests: 1, predictionsCreated: 0 });
  });

  it('fails at once on refused credentials (401)', async () => {
    const job = await run('unauthorized', { createFailures: [{ status: 401 }] });

    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'upstream_unauthorized' } });
    expect(fake.stats('unauthorized').createRequests).toBe(1);
  });

  it('waits out a 429 for every worker and then creates exactly one prediction', async () => {
    const started = Date.now();
    const job = await run('throttled', {
      createFailures: [{ status: 429, headers: { 'retry-after': '1' } }],
      outcomes: [SUCCEEDS],
    });

    expect(job).toMatchObject({ status: 'succeeded', error: null });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(fake.stats('throttled')).toMatchObject({ createRequests: 2, predictionsCreated: 1 });
  });

  it('retries a dropped create connection with one request per attempt', async () => {
    const job = await run('dropped', { createFailures: [{ drop: true }], outcomes: [SUCCEEDS] });

    expect(job).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(fake.stats('dropped')).toMatchObject({ createRequests: 2, predictionsCreated: 1 });
  });

  it('resumes the stored prediction after 5xx while polling: exactly one prediction', async () => {
    const job = await run('flaky polls', { getFailures: [{ status: 503 }, { status: 500 }], outcomes: [SUCCEEDS] });

    expect(job).toMatchObject({ status: 'succeeded', attempts: 3, error: null });
    expect(fake.stats('flaky polls')).toMatchObject({ createRequests: 1, predictionsCreated: 1 });
  });

  it('resumes a succeeded prediction when the first download was too slow: exactly one prediction', async () => {
    // Three 1 KiB chunks a second apart, against a 400 ms download limit.
    const body = Buffer.concat([SAMPLE_MEDIA.png.body, Buffer.alloc(2500)]);
    const job = await run('slow file', {
      files: [{ name: 'slow.png', contentType: 'image/png', body, chunkDelayMs: 1000, times: 1 }],
      outcomes: [{ status: 'succeeded', output: '{{file:slow.png}}' }],
    });

    expect(job).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(job.outputs[0].sha256).toBe(sha256(body));
    const stats = fake.stats('slow file');
    expect(stats).toMatchObject({ createRequests: 1, predictionsCreated: 1 });
    expect(stats.downloads['slow.png']).toBe(2);
  });

  it('fails a prediction that failed upstream, without retrying', async () => {
    const job = await run('model crash', { outcomes: [{ status: 'failed', error: 'E1001: out of memory' }] });

    expect(job).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'prediction_failed', retryable: false },
    });
    expect(job.error?.message).toContain('out of memory');
  });

  it('retries a prediction that failed for a platform reason with a new prediction', async () => {
    const job = await run('cold boot', {
      outcomes: [{ status: 'failed', error: 'E6716: timeout starting prediction' }, SUCCEEDS],
    });

    expect(job).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(fake.stats('cold boot').predictionsCreated).toBe(2);
  });

  it('fails a prediction canceled upstream', async () => {
    const job = await run('canceled elsewhere', { outcomes: [{ status: 'canceled' }] });

    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'prediction_canceled' } });
  });

  it('retries an aborted prediction (never started, never billed)', async () => {
    const job = await run('aborted', { outcomes: [{ status: 'aborted' }, SUCCEEDS] });

    expect(job).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(fake.stats('aborted').predictionsCreated).toBe(2);
  });

  it('cancels a prediction that outlives the deadline and fails after the last attempt', async () => {
    const job = await run('stuck', { outcomes: [{ status: 'stuck' }] });

    expect(job).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: { code: 'prediction_timeout', retryable: true },
    });
    const stats = fake.stats('stuck');
    expect(stats.predictionsCreated).toBe(3);
    expect(stats.cancelRequests).toBe(3);
    for (const id of stats.predictionIds) expect(fake.prediction(id)?.status).toBe('canceled');
  });

  it('fails when an output is larger than MAX_OUTPUT_BYTES', async () => {
    const job = await run('huge', {
      files: [
        {
          name: 'huge.png',
          contentType: 'image/png',
          body: Buffer.concat([SAMPLE_MEDIA.png.body, Buffer.alloc(8192)]),
        },
      ],
      outcomes: [{ status: 'succeeded', output: ['{{file:huge.png}}'] }],
    });

    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'output_too_large', retryable: false } });
    expect(job.outputs).toEqual([]);
  });

  it('fails when an output URL is gone', async () => {
    const job = await run('gone', {
      files: [file('gone.png', 'png', { status: 404 })],
      outcomes: [{ status: 'succeeded', output: ['{{file:gone.png}}'] }],
    });

    expect(job).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'output_unavailable', retryable: false },
    });
  });

  it('never sends the token anywhere but the API', async () => {
    const downloads = fake.requests.filter((request) => request.path.startsWith('/files/'));
    expect(downloads.length).toBeGreaterThan(0);
    expect(downloads.every((request) => !request.hasAuthorization)).toBe(true);
  });
});
