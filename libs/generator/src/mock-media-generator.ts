import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { GenerationError } from './generation.error';
import { type Generation, type GenerationRequest, type InputProblem, MediaGenerator } from './media-generator';
import { renderMockImage } from './mock-image';
import { parseMockInput } from './mock-input';
import type { OutputShape } from './prediction-output';

export interface MockGeneratorSettings {
  latencyMs: number;
  /** Chance from 0 to 1 that an attempt fails with a transient error. */
  failureRate: number;
}

/** The mock works in steps of at least this long, and at most this many, reporting progress after each. */
const MIN_STEP_MS = 50;
const MAX_STEPS = 20;

/** An offline generator that makes real PNG files, with configurable latency and failures. */
export class MockMediaGenerator extends MediaGenerator {
  constructor(
    private readonly settings: MockGeneratorSettings,
    private readonly random: () => number = Math.random,
  ) {
    super();
  }

  checkInput(_model: string, input: Record<string, unknown>): InputProblem[] {
    return parseMockInput(input).problems;
  }

  async generate(request: GenerationRequest): Promise<Generation> {
    const { value: input, problems } = parseMockInput(request.input);
    if (problems.length > 0) {
      throw new GenerationError('invalid_input', problems.map((problem) => problem.message).join('; '), {
        retryable: false,
      });
    }
    await this.work(request);
    if (input.failPermanently) {
      throw new GenerationError('prediction_failed', 'The mock generator was asked to fail permanently', {
        retryable: false,
      });
    }
    if (request.attempt <= input.failFirstAttempts || this.random() < this.settings.failureRate) {
      throw new GenerationError('upstream_unavailable', `The mock generator failed attempt ${request.attempt}`, {
        retryable: true,
      });
    }
    const media = Array.from({ length: input.numOutputs }, (_, index) => ({
      contentType: 'image/png',
      extension: 'png',
      // Rendered when storage reads it, so only one image at a time sits in memory.
      content: renderedOnRead(() => renderMockImage(request.prompt, input.seed + index, input.width, input.height)),
    }));
    return { media, shape: mockOutputShape(request.input, media.length) };
  }

  /** Spends MOCK_LATENCY_MS in steps, reporting `step n/m` like a diffusion model's log. */
  private async work(request: GenerationRequest): Promise<void> {
    const { latencyMs } = this.settings;
    if (latencyMs <= 0) return;
    const steps = Math.max(1, Math.min(MAX_STEPS, Math.floor(latencyMs / MIN_STEP_MS)));
    for (let step = 0; step < steps; step++) {
      request.onProgress?.({ percent: Math.round((100 * step) / steps), message: `step ${step}/${steps}` });
      await sleep(latencyMs / steps, undefined, { signal: request.signal });
    }
    request.onProgress?.({ percent: 100, message: `step ${steps}/${steps}` });
  }
}

/**
 * Like Replicate's image models: a list when the request asks for a number of outputs
 * (`num_outputs`), otherwise the one output's URL.
 */
function mockOutputShape(input: Record<string, unknown>, count: number): OutputShape {
  if (input.num_outputs === undefined) return { $output: 0 };
  return Array.from({ length: count }, (_, index) => ({ $output: index }));
}

/**
 * A stream of the parts `render` makes, rendered at its first read (never, if it is destroyed
 * first). A plain Readable fed once costs a job less than `Readable.from` over an async generator,
 * whose bridging allocated more than the image itself.
 */
export function renderedOnRead(render: () => Promise<Buffer[]>): Readable {
  let rendering = false;
  return new Readable({
    read() {
      if (rendering) return;
      rendering = true;
      render().then(
        (parts) => {
          for (const part of parts) this.push(part);
          this.push(null);
        },
        (error: Error) => this.destroy(error),
      );
    },
  });
}
