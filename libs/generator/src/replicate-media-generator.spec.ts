import { DestinationPolicy } from '@app/egress';
import { FakeReplicate, SAMPLE_MEDIA } from '../../../test/fakes/fake-replicate';
import { GenerationError } from './generation.error';
import { ABORT_REASONS, type GeneratedMedia, type GenerationRequest } from './media-generator';
import { OutputDownloader } from './output-downloader';
import { ReplicateMediaGenerator, type ReplicateSettings } from './replicate-media-generator';

const TOKEN = 'r8_unit-token';

describe('ReplicateMediaGenerator (the real client against a fake Replicate on loopback)', () => {
  const fake = new FakeReplicate({ token: TOKEN });
  let observed: string[];

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.reset();
    observed = [];
  });

  const downloader = () =>
    new OutputDownloader({ timeoutMs: 2000, maxBytes: 1024 * 1024 }, new DestinationPolicy(['127.0.0.1']));

  const generator = (settings: Partial<ReplicateSettings> = {}, outputs = downloader()) =>
    new ReplicateMediaGenerator(
      {
        apiToken: TOKEN,
        baseUrl: fake.baseUrl,
        predictionTimeoutMs: 5000,
        pollIntervalMs: 5,
        requestTimeoutMs: 2000,
        allowedModels: [],
        ...settings,
      },
      outputs,
      (method, status) => observed.push(`${method} ${status}`),
    );

  const request = (prompt: string, overrides: Partial<GenerationRequest> = {}): GenerationRequest => ({
    jobId: 'job-1',
    attempt: 1,
    model: 'acme/painter',
    prompt,
    input: {},
    predictionId: null,
    recordPrediction: jest.fn().mockResolvedValue(undefined),
    ...overrides,
  });

  async function bytesOf(media: GeneratedMedia): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of media.content) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  const failureOf = async (promise: Promise<unknown>): Promise<GenerationError> => {
    const error = await promise.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(GenerationError);
    return error as GenerationError;
  };

  const cancels = () => fake.requests.filter((seen) => seen.path.endsWith('/cancel')).length;

  it('rule: the port checks no input itself (Replicate validates model inputs)', () => {
    expect(generator().checkInput()).toEqual([]);
  });

  describe('rule: one prediction per attempt, its id stored before waiting, every output downloaded', () => {
    it('creates a prediction of the named model with the prompt and inputs, and opens its outputs', async () => {
      fake.script('two files', {
        files: [
          { name: 'a.png', ...SAMPLE_MEDIA.png },
          { name: 'b.jpg', ...SAMPLE_MEDIA.jpeg },
        ],
        outcomes: [{ status: 'succeeded', output: ['{{file:a.png}}', '{{file:b.jpg}}'] }],
      });
      const attempt = request('two files', { input: { width: 64 } });

      const { media, shape } = await generator().generate(attempt);

      expect(shape).toEqual([{ $output: 0 }, { $output: 1 }]);
      const [id] = fake.stats('two files').predictionIds;
      expect(fake.prediction(id)).toMatchObject({ model: 'acme/painter', input: { width: 64, prompt: 'two files' } });
      expect(attempt.recordPrediction).toHaveBeenCalledWith(id);
      expect(media.map((item) => [item.contentType, item.extension])).toEqual([
        ['image/png', 'png'],
        ['image/jpeg', 'jpg'],
      ]);
      expect(await bytesOf(media[0])).toEqual(SAMPLE_MEDIA.png.body);
      expect(await bytesOf(media[1])).toEqual(SAMPLE_MEDIA.jpeg.body);
      expect(observed).toContain('POST 201');
      expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/v1/models/acme/painter/predictions' });
    });

    it('passes on the progress each poll’s logs show, and nothing while the logs are empty', async () => {
      fake.script('progress', {
        startingPolls: 1,
        processingPolls: 3,
        outcomes: [{ status: 'succeeded', output: { caption: 'done' } }],
      });
      const onProgress = jest.fn();

      await generator().generate(request('progress', { onProgress }));

      expect(onProgress.mock.calls.map(([progress]) => progress.percent)).toEqual([33, 66, 100, 100]);
      expect(onProgress).toHaveBeenLastCalledWith({ percent: 100, message: expect.stringMatching(/^100%\|.*\| 3\/3/) });
    });

    it('runs a pinned version by its id', async () => {
      fake.addVersion('acme/painter', 'v123');

      await generator().generate(request('pinned', { model: 'acme/painter:v123' }));

      const [id] = fake.stats('pinned').predictionIds;
      expect(fake.prediction(id)).toMatchObject({ version: 'v123', model: 'acme/painter' });
    });

    it('keeps output without media in it as JSON', async () => {
      fake.script('text', { outcomes: [{ status: 'succeeded', output: { caption: 'a cat' } }] });

      const {
        media: [media],
        shape,
      } = await generator().generate(request('text'));

      expect([media.contentType, media.extension]).toEqual(['application/json', 'json']);
      expect(shape).toEqual({ caption: 'a cat' });
      expect(JSON.parse((await bytesOf(media)).toString())).toEqual({ caption: 'a cat' });
    });

    it('fails, without retry, a prediction that succeeded without output', async () => {
      fake.script('empty', { outcomes: [{ status: 'succeeded' }] });

      const error = await failureOf(generator().generate(request('empty')));

      expect(error.code).toBe('prediction_failed');
      expect(error.retryable).toBe(false);
      expect(error.message).toMatch(/^Prediction \w+ succeeded without output$/);
    });

    it('fails with the prediction’s own reason when it failed upstream', async () => {
      fake.script('broken', { outcomes: [{ status: 'failed', error: 'CUDA out of memory' }] });

      const error = await failureOf(generator().generate(request('broken')));

      expect(error.code).toBe('prediction_failed');
      expect(error.message).toContain('CUDA out of memory');
    });

    it('closes the outputs already opened when one cannot be downloaded', async () => {
      fake.script('one gone', {
        files: [
          { name: 'ok.png', ...SAMPLE_MEDIA.png },
          { name: 'gone.png', ...SAMPLE_MEDIA.png, status: 404 },
        ],
        outcomes: [{ status: 'succeeded', output: ['{{file:ok.png}}', '{{file:gone.png}}'] }],
      });
      const opened: GeneratedMedia[] = [];
      const outputs = downloader();
      const open = outputs.open.bind(outputs);
      jest.spyOn(outputs, 'open').mockImplementation(async (url, signal) => {
        const media = await open(url, signal);
        opened.push(media);
        return media;
      });
      const error = await failureOf(generator({}, outputs).generate(request('one gone')));

      expect(error.code).toBe('output_unavailable');
      expect(opened).toHaveLength(1);
      expect(opened[0].content.destroyed).toBe(true);
    });
  });

  describe('rule: a stored prediction is resumed while it can still pay off, never paid for twice', () => {
    /** Creates a prediction whose attempt then fails to store its id, so the prediction is left running. */
    async function leftRunning(prompt: string): Promise<string> {
      const recordPrediction = jest.fn().mockRejectedValue(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
      await generator()
        .generate(request(prompt, { recordPrediction }))
        .catch(() => undefined);
      const [id] = fake.stats(prompt).predictionIds;
      expect(fake.prediction(id)?.status).toBe('starting');
      return id;
    }

    it('resumes a prediction still running, creating none', async () => {
      const stored = await leftRunning('resume');

      const attempt = request('resume', { predictionId: stored, attempt: 2 });
      const { media } = await generator().generate(attempt);

      expect(media.map((item) => item.contentType)).toEqual(['image/png']);
      expect(fake.stats('resume').predictionsCreated).toBe(1);
      expect(attempt.recordPrediction).not.toHaveBeenCalled();
    });

    it('takes the outputs of a stored prediction that already succeeded', async () => {
      const stored = await leftRunning('done meanwhile');
      await generator().generate(request('done meanwhile', { predictionId: stored }));

      const { media } = await generator().generate(request('done meanwhile', { predictionId: stored }));

      expect(media).toHaveLength(1);
      expect(fake.stats('done meanwhile').predictionsCreated).toBe(1);
    });

    it.each([
      ['failed', { status: 'failed', error: 'boom' }],
      ['canceled', { status: 'canceled' }],
      ['aborted', { status: 'aborted' }],
    ] as const)('starts a new prediction when the stored one %s', async (_state, outcome) => {
      fake.script('again', { outcomes: [outcome, { status: 'succeeded', output: ['{{file:default.png}}'] }] });
      await generator()
        .generate(request('again'))
        .catch(() => undefined);
      const [stored] = fake.stats('again').predictionIds;

      const attempt = request('again', { predictionId: stored });
      await generator().generate(attempt);

      expect(fake.stats('again').predictionsCreated).toBe(2);
      expect(attempt.recordPrediction).toHaveBeenCalledWith(fake.stats('again').predictionIds[1]);
    });

    it('counts the deadline from the stored prediction’s creation, not from the resume', async () => {
      fake.script('old', { outcomes: [{ status: 'stuck' }] });
      const stored = await leftRunning('old');
      await new Promise((resolve) => setTimeout(resolve, 200));

      const error = await failureOf(
        generator({ predictionTimeoutMs: 150, pollIntervalMs: 1000 }).generate(
          request('old', { predictionId: stored }),
        ),
      );

      expect(error.code).toBe('prediction_timeout');
      expect(fake.stats('old').getRequests).toBe(1);
      expect(fake.stats('old').cancelRequests).toBe(1);
    });

    it('starts a new prediction when Replicate no longer knows the stored one', async () => {
      const attempt = request('forgotten', { predictionId: 'unknownprediction' });

      await generator().generate(attempt);

      expect(fake.stats('forgotten').predictionsCreated).toBe(1);
    });

    it('fails the attempt, creating nothing, when the stored prediction cannot be read', async () => {
      const stored = await leftRunning('flaky read');
      fake.script('flaky read', { getFailures: [{ status: 500 }] });

      const error = await failureOf(generator().generate(request('flaky read', { predictionId: stored })));

      expect(error.code).toBe('upstream_unavailable');
      expect(error.retryable).toBe(true);
      expect(fake.stats('flaky read').predictionsCreated).toBe(1);
    });
  });

  describe('rule: REPLICATE_ALLOWED_MODELS is enforced before anything is billed', () => {
    it('refuses a model not on the list', async () => {
      const error = await failureOf(generator({ allowedModels: ['acme/other'] }).generate(request('refused')));

      expect(error).toMatchObject({
        code: 'model_not_allowed',
        retryable: false,
        message: 'Model acme/painter is not allowed on this server',
      });
      expect(fake.stats('refused').createRequests).toBe(0);
    });

    it('runs a listed model, and a listed pinned version, without asking about versions', async () => {
      const allowed = generator({ allowedModels: ['acme/painter', 'acme/pinned:v9'] });

      await allowed.generate(request('listed'));
      await allowed.generate(request('listed pin', { model: 'acme/pinned:v9' }));

      expect(fake.requests.some((seen) => seen.path.includes('/versions/'))).toBe(false);
      expect(fake.stats('listed').predictionsCreated + fake.stats('listed pin').predictionsCreated).toBe(2);
    });

    it('runs a pinned version of a listed model once Replicate confirms it belongs, asking once', async () => {
      fake.addVersion('acme/painter', 'v1');
      const allowed = generator({ allowedModels: ['acme/painter'] });

      await allowed.generate(request('pin ok', { model: 'acme/painter:v1' }));
      await allowed.generate(request('pin ok', { model: 'acme/painter:v1' }));

      expect(fake.requests.filter((seen) => seen.path === '/v1/models/acme/painter/versions/v1')).toHaveLength(1);
      expect(fake.stats('pin ok').predictionsCreated).toBe(2);
    });

    it('refuses a pinned version of a model not on the list, without asking whether it belongs', async () => {
      fake.addVersion('acme/painter', 'v1');

      const error = await failureOf(
        generator({ allowedModels: ['acme/other'] }).generate(request('unlisted pin', { model: 'acme/painter:v1' })),
      );

      expect(error).toMatchObject({
        code: 'model_not_allowed',
        message: 'Model acme/painter:v1 is not allowed on this server',
      });
      expect(fake.requests.some((seen) => seen.path.includes('/versions/'))).toBe(false);
    });

    it('remembers each confirmed version on its own: one confirmed version vouches for no other', async () => {
      fake.addVersion('acme/painter', 'v1');
      fake.addVersion('evil/miner', 'v666');
      const allowed = generator({ allowedModels: ['acme/painter'] });
      await allowed.generate(request('pin ok', { model: 'acme/painter:v1' }));

      const error = await failureOf(allowed.generate(request('pin bad', { model: 'acme/painter:v666' })));

      expect(error.code).toBe('model_not_allowed');
      expect(fake.stats('pin bad').createRequests).toBe(0);
    });

    it('keeps every confirmed version, not only the last one', async () => {
      fake.addVersion('acme/painter', 'v1');
      fake.addVersion('acme/painter', 'v2');
      const allowed = generator({ allowedModels: ['acme/painter'] });

      for (const version of ['v1', 'v2', 'v1', 'v2']) {
        await allowed.generate(request('pins', { model: `acme/painter:${version}` }));
      }

      expect(fake.requests.filter((seen) => seen.path.includes('/versions/'))).toHaveLength(2);
    });

    it('refuses a version that belongs to another model', async () => {
      fake.addVersion('evil/miner', 'v666');

      const error = await failureOf(
        generator({ allowedModels: ['acme/painter'] }).generate(request('pin bad', { model: 'acme/painter:v666' })),
      );

      expect(error).toMatchObject({
        code: 'model_not_allowed',
        retryable: false,
        message: 'Version v666 is not a version of acme/painter, so it is not allowed on this server',
      });
      expect(fake.stats('pin bad').createRequests).toBe(0);
    });

    it('fails the attempt (retryable) when the version check itself is refused', async () => {
      const unauthorized = generator({ apiToken: 'wrong-token', allowedModels: ['acme/painter'] });

      const error = await failureOf(unauthorized.generate(request('pin 401', { model: 'acme/painter:v1' })));

      expect(error.code).toBe('upstream_unauthorized');
    });
  });

  describe('rule: a prediction past its deadline is canceled upstream and the attempt fails retryably', () => {
    it('gives up after REPLICATE_PREDICTION_TIMEOUT_MS', async () => {
      fake.script('stuck', { outcomes: [{ status: 'stuck' }] });
      const started = Date.now();

      const error = await failureOf(
        generator({ predictionTimeoutMs: 150, pollIntervalMs: 1000 }).generate(request('stuck')),
      );

      expect(Date.now() - started).toBeLessThan(1000);
      expect(error.code).toBe('prediction_timeout');
      expect(error.retryable).toBe(true);
      const [id] = fake.stats('stuck').predictionIds;
      expect(error.message).toBe(`Prediction ${id} did not finish within 150 ms and was canceled`);
      expect(fake.stats('stuck').cancelRequests).toBe(1);
      expect(fake.prediction(id)?.status).toBe('canceled');
    });
  });

  describe('rule: a canceled job cancels its prediction upstream; a shutdown leaves it to be resumed', () => {
    it('cancels upstream when the job is canceled', async () => {
      fake.script('cancel me', { outcomes: [{ status: 'stuck' }] });
      const controller = new AbortController();
      setTimeout(() => controller.abort(ABORT_REASONS.canceled), 50);

      await expect(generator().generate(request('cancel me', { signal: controller.signal }))).rejects.toBeDefined();

      expect(fake.stats('cancel me').cancelRequests).toBe(1);
    });

    it('stops waiting at once on shutdown, without sitting out the poll interval', async () => {
      fake.script('shut down now', { outcomes: [{ status: 'stuck' }] });
      const started = Date.now();

      await expect(
        generator({ pollIntervalMs: 3000 }).generate(request('shut down now', { signal: AbortSignal.timeout(50) })),
      ).rejects.toBeDefined();

      expect(Date.now() - started).toBeLessThan(1500);
    });

    it('leaves the prediction running on shutdown', async () => {
      fake.script('shut down', { outcomes: [{ status: 'stuck' }] });
      const controller = new AbortController();
      setTimeout(() => controller.abort(ABORT_REASONS.shutdown), 50);

      await expect(generator().generate(request('shut down', { signal: controller.signal }))).rejects.toBeDefined();

      expect(cancels()).toBe(0);
      const [id] = fake.stats('shut down').predictionIds;
      expect(fake.prediction(id)?.status).not.toBe('canceled');
    });

    it('cancels nothing when no prediction was started', async () => {
      const controller = new AbortController();
      controller.abort(ABORT_REASONS.canceled);

      await failureOf(
        generator({ allowedModels: ['acme/other'] }).generate(request('never', { signal: controller.signal })),
      );

      expect(cancels()).toBe(0);
    });
  });
});
