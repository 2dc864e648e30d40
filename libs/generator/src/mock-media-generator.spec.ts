import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { PNG } from 'pngjs';
import { GenerationError } from './generation.error';
import type { GenerationProgress, GenerationRequest } from './media-generator';
import { MockMediaGenerator, renderedOnRead } from './mock-media-generator';

const MODEL = 'black-forest-labs/flux-schnell';

function request(overrides: Partial<GenerationRequest> = {}): GenerationRequest {
  return {
    jobId: 'job-1',
    attempt: 1,
    model: MODEL,
    prompt: 'a red fox in the snow',
    input: {},
    predictionId: null,
    recordPrediction: async () => {},
    ...overrides,
  };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Generates with `generator` and returns every output's bytes. */
async function generateBytes(generator: MockMediaGenerator, overrides: Partial<GenerationRequest> = {}) {
  const { media } = await generator.generate(request(overrides));
  return Promise.all(media.map((item) => readAll(item.content)));
}

/** Share of pixels whose RGBA value differs between two images of the same size. */
function differingPixelShare(a: PNG, b: PNG): number {
  let differing = 0;
  for (let index = 0; index < a.data.length; index += 4) {
    if (a.data.readUInt32BE(index) !== b.data.readUInt32BE(index)) differing++;
  }
  return differing / (a.width * a.height);
}

async function rejection(promise: Promise<unknown>): Promise<GenerationError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the generation to fail');
    },
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(GenerationError);
  return error as GenerationError;
}

describe('MockMediaGenerator', () => {
  const reliable = () => new MockMediaGenerator({ latencyMs: 0, failureRate: 0 });

  describe('generate', () => {
    it('returns one PNG by default, shaped as a single output', async () => {
      const { media, shape } = await reliable().generate(request());

      expect(media).toHaveLength(1);
      expect(media[0]).toMatchObject({ contentType: 'image/png', extension: 'png' });
      expect(shape).toEqual({ $output: 0 });
    });

    it('returns as many PNG items as num_outputs asks for, shaped as a list', async () => {
      const { media, shape } = await reliable().generate(request({ input: { num_outputs: 3, width: 32, height: 32 } }));

      expect(media).toHaveLength(3);
      for (const item of media) expect(item).toMatchObject({ contentType: 'image/png', extension: 'png' });
      expect(shape).toEqual([{ $output: 0 }, { $output: 1 }, { $output: 2 }]);
    });

    it('shapes one output asked for with num_outputs as a list', async () => {
      const { shape } = await reliable().generate(request({ input: { num_outputs: 1, width: 16, height: 16 } }));

      expect(shape).toEqual([{ $output: 0 }]);
    });

    it('streams a real 512x512 PNG when no size is given', async () => {
      const [bytes] = await generateBytes(reliable());

      const image = PNG.sync.read(bytes);
      expect(image.width).toBe(512);
      expect(image.height).toBe(512);
    });

    it('streams a real PNG of the requested width and height', async () => {
      const outputs = await generateBytes(reliable(), { input: { width: 64, height: 48, num_outputs: 2 } });

      for (const bytes of outputs) {
        const image = PNG.sync.read(bytes);
        expect([image.width, image.height]).toEqual([64, 48]);
      }
    });

    it('gives identical bytes for the same prompt and seed', async () => {
      const input = { seed: 42, width: 96, height: 96 };

      const [first] = await generateBytes(reliable(), { input });
      const [second] = await generateBytes(reliable(), { input, jobId: 'another-job', attempt: 2 });

      expect(first.equals(second)).toBe(true);
    });

    it('gives visibly different images for different prompts', async () => {
      const [fox] = await generateBytes(reliable(), { prompt: 'a red fox in the snow' });
      const [whale] = await generateBytes(reliable(), { prompt: 'a blue whale at dawn' });

      expect(fox.equals(whale)).toBe(false);
      expect(differingPixelShare(PNG.sync.read(fox), PNG.sync.read(whale))).toBeGreaterThan(0.1);
    });

    it('gives visibly different images for different seeds of the same prompt', async () => {
      const [seed1] = await generateBytes(reliable(), { input: { seed: 1, width: 128, height: 128 } });
      const [seed2] = await generateBytes(reliable(), { input: { seed: 2, width: 128, height: 128 } });

      expect(differingPixelShare(PNG.sync.read(seed1), PNG.sync.read(seed2))).toBeGreaterThan(0.1);
    });

    it('makes every output of one request different from the others', async () => {
      const outputs = await generateBytes(reliable(), { input: { num_outputs: 4, width: 64, height: 64 } });

      const distinct = new Set(outputs.map((bytes) => bytes.toString('base64')));
      expect(distinct.size).toBe(4);
    });

    it('derives output n from seed + n, so outputs line up with single requests', async () => {
      const [, secondOfSeed7] = await generateBytes(reliable(), {
        input: { seed: 7, num_outputs: 2, width: 32, height: 32 },
      });
      const [onlyOfSeed8] = await generateBytes(reliable(), { input: { seed: 8, width: 32, height: 32 } });

      expect(secondOfSeed7.equals(onlyOfSeed8)).toBe(true);
    });
  });

  describe('simulated failures', () => {
    const input = { fail_first_attempts: 2, width: 32, height: 32 };

    it.each([1, 2])('fails attempt %i of fail_first_attempts: 2 with a retryable upstream error', async (attempt) => {
      const error = await rejection(reliable().generate(request({ attempt, input })));

      expect(error.code).toBe('upstream_unavailable');
      expect(error.retryable).toBe(true);
    });

    it('succeeds on the attempt after fail_first_attempts', async () => {
      const { media } = await reliable().generate(request({ attempt: 3, input }));

      expect(media).toHaveLength(1);
    });

    it('fails with a permanent prediction error when fail_permanently is set', async () => {
      const error = await rejection(reliable().generate(request({ attempt: 5, input: { fail_permanently: true } })));

      expect(error.code).toBe('prediction_failed');
      expect(error.retryable).toBe(false);
    });

    it('always fails transiently when the failure rate is 1', async () => {
      const generator = new MockMediaGenerator({ latencyMs: 0, failureRate: 1 });

      for (const attempt of [1, 2, 3, 10]) {
        const error = await rejection(generator.generate(request({ attempt })));
        expect(error).toMatchObject({ code: 'upstream_unavailable', retryable: true });
      }
    });

    it('succeeds when the injected random draw is above the failure rate', async () => {
      const generator = new MockMediaGenerator({ latencyMs: 0, failureRate: 0.5 }, () => 0.99);

      await expect(generator.generate(request({ input: { width: 16, height: 16 } }))).resolves.toMatchObject({
        media: [expect.anything()],
      });
    });

    it('fails transiently when the injected random draw is below the failure rate', async () => {
      const generator = new MockMediaGenerator({ latencyMs: 0, failureRate: 0.5 }, () => 0.2);

      const error = await rejection(generator.generate(request()));
      expect(error).toMatchObject({ code: 'upstream_unavailable', retryable: true });
    });

    it('succeeds when the injected random draw equals the failure rate (failure only below it)', async () => {
      const generator = new MockMediaGenerator({ latencyMs: 0, failureRate: 0.5 }, () => 0.5);

      await expect(generator.generate(request({ input: { width: 16, height: 16 } }))).resolves.toMatchObject({
        media: [expect.anything()],
      });
    });

    it('names the attempt that failed, and says when the failure was asked for', async () => {
      const transient = await rejection(reliable().generate(request({ attempt: 2, input })));
      const permanent = await rejection(reliable().generate(request({ input: { fail_permanently: true } })));

      expect(transient.message).toBe('The mock generator failed attempt 2');
      expect(permanent.message).toBe('The mock generator was asked to fail permanently');
    });

    it('lists every input problem in the invalid_input message', async () => {
      const error = await rejection(reliable().generate(request({ input: { width: 0, num_outputs: 9 } })));

      expect(error.message).toBe(
        'input.width must be an integer from 16 to 1024; input.num_outputs must be an integer from 1 to 4',
      );
    });

    it('refuses invalid input with a permanent invalid_input error', async () => {
      const error = await rejection(reliable().generate(request({ input: { width: 0 } })));

      expect(error.code).toBe('invalid_input');
      expect(error.retryable).toBe(false);
      expect(error.message).toContain('input.width');
    });
  });

  describe('progress', () => {
    it('reports steps spread over its latency, from 0 to 100 percent', async () => {
      const reports: GenerationProgress[] = [];
      const started = Date.now();
      await new MockMediaGenerator({ latencyMs: 200, failureRate: 0 }).generate(
        request({ onProgress: (progress) => reports.push(progress) }),
      );

      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(reports).toEqual([
        { percent: 0, message: 'step 0/4' },
        { percent: 25, message: 'step 1/4' },
        { percent: 50, message: 'step 2/4' },
        { percent: 75, message: 'step 3/4' },
        { percent: 100, message: 'step 4/4' },
      ]);
    });

    it('takes at most 20 steps however long it works, and one when it is quick', async () => {
      const firstReport = async (latencyMs: number) => {
        const controller = new AbortController();
        let first: GenerationProgress | undefined;
        const generating = new MockMediaGenerator({ latencyMs, failureRate: 0 }).generate(
          request({
            signal: controller.signal,
            onProgress: (progress) => {
              first ??= progress;
              controller.abort();
            },
          }),
        );
        await generating.catch(() => undefined);
        return first;
      };
      expect(await firstReport(60_000)).toEqual({ percent: 0, message: 'step 0/20' });
      expect(await firstReport(99)).toEqual({ percent: 0, message: 'step 0/1' });
      expect(await firstReport(100)).toEqual({ percent: 0, message: 'step 0/2' });
    });

    it('works with latency when nobody listens for progress', async () => {
      const generator = new MockMediaGenerator({ latencyMs: 60, failureRate: 0 });

      await expect(generator.generate(request({ input: { width: 16, height: 16 } }))).resolves.toMatchObject({
        media: [expect.anything()],
      });
    });

    it('reports nothing without latency', async () => {
      const onProgress = jest.fn();
      await reliable().generate(request({ onProgress }));
      expect(onProgress).not.toHaveBeenCalled();
    });
  });

  describe('checkInput', () => {
    it('finds no problem in valid input', () => {
      const input = {
        width: 256,
        height: 128,
        num_outputs: 4,
        seed: 0,
        fail_first_attempts: 1,
        fail_permanently: false,
      };

      expect(reliable().checkInput(MODEL, input)).toEqual([]);
    });

    it('finds no problem in empty input', () => {
      expect(reliable().checkInput(MODEL, {})).toEqual([]);
    });

    it('accepts inputs it does not know, as real models mostly do', () => {
      expect(reliable().checkInput(MODEL, { guidance: 7, negative_prompt: 'blurry' })).toEqual([]);
    });

    it.each([
      ['width', 0],
      ['width', 2000],
      ['width', '512'],
      ['width', 1.5],
      ['height', 8],
      ['num_outputs', 0],
      ['num_outputs', 5],
      ['seed', -1],
      ['fail_first_attempts', -1],
      ['fail_permanently', 'yes'],
    ])('reports one problem for %s = %j', (field, value) => {
      const problems = reliable().checkInput(MODEL, { [field]: value });

      expect(problems).toEqual([{ field: `input.${field}`, message: expect.stringContaining(`input.${field}`) }]);
    });

    it('reports one problem per bad field', () => {
      const problems = reliable().checkInput(MODEL, { width: 0, num_outputs: 5, seed: -1, fail_permanently: 'yes' });

      expect(problems.map((problem) => problem.field).sort()).toEqual([
        'input.fail_permanently',
        'input.num_outputs',
        'input.seed',
        'input.width',
      ]);
    });
  });
});

describe('renderedOnRead', () => {
  it('renders once, at the first read, and streams the parts in order', async () => {
    const render = jest.fn(async () => [Buffer.from('first '), Buffer.from('second')]);
    const stream = renderedOnRead(render);
    await new Promise((resolve) => setImmediate(resolve));
    expect(render).not.toHaveBeenCalled();

    expect(await text(stream)).toBe('first second');
    expect(render).toHaveBeenCalledTimes(1);
  });

  it('never renders when destroyed before it is read', async () => {
    const render = jest.fn(async () => [Buffer.from('unused')]);
    renderedOnRead(render).destroy();
    await new Promise((resolve) => setImmediate(resolve));

    expect(render).not.toHaveBeenCalled();
  });

  it('fails the stream when rendering fails', async () => {
    const stream = renderedOnRead(async () => {
      throw new Error('render failed');
    });

    await expect(text(stream)).rejects.toThrow('render failed');
  });
});
