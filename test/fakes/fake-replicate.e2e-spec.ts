import Replicate, { type ApiError, type Prediction } from 'replicate';
import { DEFAULT_OUTPUT_FILE, FakeReplicate, SAMPLE_MEDIA, tinyPng } from './fake-replicate';

const TERMINAL = ['succeeded', 'failed', 'canceled', 'aborted'];

describe('FakeReplicate (driven by the real replicate client)', () => {
  const fake = new FakeReplicate();
  let replicate: Replicate;

  beforeAll(async () => {
    await fake.start();
    replicate = new Replicate({ auth: 'test-token', baseUrl: fake.baseUrl, useFileOutput: false });
  });

  afterAll(() => fake.stop());

  beforeEach(() => fake.reset());

  async function poll(id: string): Promise<{ final: Prediction; seen: string[] }> {
    const seen: string[] = [];
    for (let i = 0; i < 50; i++) {
      const prediction = await replicate.predictions.get(id);
      seen.push(prediction.status);
      if (TERMINAL.includes(prediction.status)) return { final: prediction, seen };
    }
    throw new Error(`prediction ${id} never finished: ${seen.join(',')}`);
  }

  async function apiError(promise: Promise<unknown>): Promise<ApiError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('ApiError');
    return error as ApiError;
  }

  it('creates via the model route and polls to success with the file URL substituted', async () => {
    const png = SAMPLE_MEDIA.png;
    fake.script('a cat', {
      files: [{ name: 'cat.png', contentType: png.contentType, body: png.body }],
      outcomes: [{ status: 'succeeded', output: ['{{file:cat.png}}'] }],
    });

    const created = await replicate.predictions.create({ model: 'acme/m', input: { prompt: 'a cat' } });
    expect(created).toMatchObject({
      model: 'acme/m',
      version: null,
      status: 'starting',
      input: { prompt: 'a cat' },
      output: null,
      error: null,
      logs: '',
      started_at: null,
      completed_at: null,
      urls: {
        get: `${fake.baseUrl}/predictions/${created.id}`,
        cancel: `${fake.baseUrl}/predictions/${created.id}/cancel`,
      },
    });
    expect(typeof created.id).toBe('string');

    const { final, seen } = await poll(created.id);
    expect(seen).toEqual(['starting', 'processing', 'succeeded']);
    expect(final.output).toEqual([fake.fileUrl('cat.png')]);
    expect(final.completed_at).toEqual(expect.any(String));
    expect(final.started_at).toEqual(expect.any(String));
    // While processing it logged progress the way tqdm does.
    expect(final.logs).toBe('100%|██████████| 1/1 [00:01<00:05, 2.10it/s]\n');

    const response = await fetch(final.output[0]);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await response.arrayBuffer()).equals(png.body)).toBe(true);

    expect(fake.stats('a cat')).toEqual({
      createRequests: 1,
      predictionsCreated: 1,
      getRequests: 3,
      cancelRequests: 0,
      downloads: { 'cat.png': 1 },
      predictionIds: [created.id],
    });
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /v1/models/acme/m/predictions 201',
      `GET /v1/predictions/${created.id} 200`,
      `GET /v1/predictions/${created.id} 200`,
      `GET /v1/predictions/${created.id} 200`,
      'GET /files/cat.png 200',
    ]);
    expect(fake.requests.every((r) => r.prompt === 'a cat')).toBe(true);
  });

  it('creates via the version route; unscripted prompts get the default tiny PNG', async () => {
    const created = await replicate.predictions.create({ version: 'abc123', input: { prompt: 'anything' } });
    expect(created.version).toBe('abc123');
    const { final } = await poll(created.id);
    expect(final.status).toBe('succeeded');
    expect(final.output).toEqual([fake.fileUrl(DEFAULT_OUTPUT_FILE)]);
    const response = await fetch(final.output[0]);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await response.arrayBuffer()).equals(tinyPng())).toBe(true);
  });

  it('finds a registered version only under its own model, and runs it as that model', async () => {
    const version = 'c'.repeat(64);
    fake.addVersion('acme/painter', version);

    await expect(replicate.models.versions.get('acme', 'painter', version)).resolves.toMatchObject({ id: version });
    expect((await apiError(replicate.models.versions.get('evil', 'miner', version))).response.status).toBe(404);
    expect((await apiError(replicate.models.versions.get('acme', 'painter', 'd'.repeat(64)))).response.status).toBe(
      404,
    );
    const created = await replicate.predictions.create({ version, input: { prompt: 'versioned' } });
    expect(created).toMatchObject({ model: 'acme/painter', version });
  });

  it('applies outcomes in order (the last repeats) and honours the poll counts', async () => {
    fake.script('mixed', {
      startingPolls: 0,
      processingPolls: 0,
      outcomes: [{ status: 'failed', error: 'E1001 out of memory' }, { status: 'aborted' }],
    });
    const results: Prediction[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await replicate.predictions.create({ model: 'acme/m', input: { prompt: 'mixed' } });
      results.push((await poll(created.id)).final);
    }
    expect(results.map((p) => [p.status, p.error])).toEqual([
      ['failed', 'E1001 out of memory'],
      ['aborted', null],
      ['aborted', null],
    ]);
    expect(fake.stats('mixed')).toMatchObject({ predictionsCreated: 3, getRequests: 3 });
  });

  it('cancels a stuck prediction; a terminal one is returned unchanged', async () => {
    fake.script('stuck', { outcomes: [{ status: 'stuck' }] });
    const created = await replicate.predictions.create({ model: 'acme/m', input: { prompt: 'stuck' } });
    for (let i = 0; i < 5; i++) await replicate.predictions.get(created.id);
    expect((await replicate.predictions.get(created.id)).status).toBe('processing');

    const canceled = await replicate.predictions.cancel(created.id);
    expect(canceled.status).toBe('canceled');
    expect(canceled.completed_at).toEqual(expect.any(String));
    expect((await replicate.predictions.get(created.id)).status).toBe('canceled');
    const again = await replicate.predictions.cancel(created.id);
    expect(again).toEqual(canceled);
    expect(fake.stats('stuck').cancelRequests).toBe(2);
  });

  it('answers 404 for an unknown prediction', async () => {
    const error = await apiError(replicate.predictions.get('nope'));
    expect(error.response.status).toBe(404);
  });

  it('rejects a wrong token with 401', async () => {
    const wrong = new Replicate({ auth: 'wrong', baseUrl: fake.baseUrl, useFileOutput: false });
    const error = await apiError(wrong.predictions.create({ model: 'acme/m', input: { prompt: 'x' } }));
    expect(error.response.status).toBe(401);
    expect(fake.requests).toEqual([
      { method: 'POST', path: '/v1/models/acme/m/predictions', prompt: 'x', hasAuthorization: true, status: 401 },
    ]);
    expect(fake.stats('x').createRequests).toBe(0);
  });

  it('a 422 createFailure makes the client throw and creates nothing', async () => {
    const body = {
      detail: '- input.width: Must be less than or equal to 1440',
      status: 422,
      title: 'Input validation failed',
      invalid_fields: [{ type: 'less_than_equal', field: 'input.width', description: 'Must be <= 1440' }],
    };
    fake.script('bad', { createFailures: [{ status: 422, body }] });
    const error = await apiError(replicate.predictions.create({ model: 'acme/m', input: { prompt: 'bad' } }));
    expect(error.response.status).toBe(422);
    expect(error.message).toContain('invalid_fields');
    expect(fake.stats('bad')).toMatchObject({ createRequests: 1, predictionsCreated: 0 });
  });

  it('the client re-sends a 429 POST at once (Retry-After ignored), so the call succeeds', async () => {
    fake.script('busy', {
      createFailures: [{ status: 429, headers: { 'retry-after': '1' } }],
    });
    const started = Date.now();
    const created = await replicate.predictions.create({ model: 'acme/m', input: { prompt: 'busy' } });
    expect(Date.now() - started).toBeLessThan(900);
    expect(created.status).toBe('starting');
    expect(fake.stats('busy')).toMatchObject({ createRequests: 2, predictionsCreated: 1 });
  });

  it('the client re-sends a create after a dropped connection', async () => {
    fake.script('dropped', { createFailures: [{ drop: true }] });
    const created = await replicate.predictions.create({ model: 'acme/m', input: { prompt: 'dropped' } });
    expect(created.status).toBe('starting');
    const stats = fake.stats('dropped');
    expect(stats.createRequests).toBeGreaterThan(1);
    expect(stats.predictionsCreated).toBe(1);
    expect(fake.requests.map((r) => r.status)).toEqual([0, 201]);
  });

  it('the client absorbs a short 503 burst on GET with its own retries', async () => {
    fake.script('flaky', { getFailures: [{ status: 503 }, { status: 503 }], startingPolls: 0, processingPolls: 0 });
    const created = await replicate.predictions.create({ model: 'acme/m', input: { prompt: 'flaky' } });
    const prediction = await replicate.predictions.get(created.id);
    expect(prediction.status).toBe('succeeded');
    expect(fake.stats('flaky').getRequests).toBe(3);
  });

  it('serves a slow file completely, and a failing file only `times` times', async () => {
    const body = Buffer.concat([SAMPLE_MEDIA.mp4.body, Buffer.alloc(3 * 1024, 7)]);
    fake.script('slow', {
      files: [
        { name: 'slow.mp4', contentType: 'video/mp4', body, chunkDelayMs: 20 },
        { name: 'flaky.wav', contentType: 'audio/wav', body: SAMPLE_MEDIA.wav.body, status: 500, times: 1 },
      ],
    });
    const started = Date.now();
    const slow = await fetch(fake.fileUrl('slow.mp4'));
    expect(slow.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await slow.arrayBuffer()).equals(body)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);

    expect((await fetch(fake.fileUrl('flaky.wav'))).status).toBe(500);
    const second = await fetch(fake.fileUrl('flaky.wav'));
    expect(second.status).toBe(200);
    expect(Buffer.from(await second.arrayBuffer()).equals(SAMPLE_MEDIA.wav.body)).toBe(true);
    expect(fake.stats('slow').downloads).toEqual({ 'slow.mp4': 1, 'flaky.wav': 2 });
  });

  it('has distinct sample media with the right magic bytes', () => {
    const bodies = Object.values(SAMPLE_MEDIA).map((m) => m.body);
    for (const b of bodies) expect(b.length).toBeGreaterThanOrEqual(64);
    expect(new Set(bodies.map((b) => b.toString('hex'))).size).toBe(bodies.length);
    const { png, jpeg, webp, gif, mp4, wav, mp3 } = SAMPLE_MEDIA;
    expect(png.body.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(jpeg.body.subarray(0, 4).toString('hex')).toBe('ffd8ffe0');
    expect(webp.body.toString('latin1', 0, 4) + webp.body.toString('latin1', 8, 16)).toBe('RIFFWEBPVP8 ');
    expect(gif.body.toString('latin1', 0, 6)).toBe('GIF89a');
    expect(mp4.body.toString('latin1', 4, 12)).toBe('ftypisom');
    expect(wav.body.toString('latin1', 0, 4) + wav.body.toString('latin1', 8, 16)).toBe('RIFFWAVEfmt ');
    expect(mp3.body.toString('latin1', 0, 3)).toBe('ID3');
  });
});
