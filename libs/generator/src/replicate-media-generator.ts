import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import Replicate, { type Prediction } from 'replicate';
import { GenerationError } from './generation.error';
import {
  type GeneratedMedia,
  type Generation,
  type GenerationRequest,
  type InputProblem,
  isCanceled,
  MediaGenerator,
} from './media-generator';
import { modelAllowance } from './model-allow-list';
import type { OutputDownloader } from './output-downloader';
import { isFinished, predictionFailure } from './prediction-outcome';
import { collectMediaUrls, outputShapeOf } from './prediction-output';
import { progressFromLogs } from './prediction-progress';
import { classifyUpstreamError } from './upstream-errors';
import { createSingleShotFetch, UpstreamHttpError, type UpstreamObserver } from './upstream-fetch';

export interface ReplicateSettings {
  apiToken: string;
  baseUrl: string;
  predictionTimeoutMs: number;
  pollIntervalMs: number;
  requestTimeoutMs: number;
  /** REPLICATE_ALLOWED_MODELS; empty allows every model. */
  allowedModels: readonly string[];
}

/** Pinned versions confirmed to belong to their model are remembered (versions never move), up to this many. */
const VERIFIED_VERSIONS_KEPT = 1000;

/**
 * Generates through Replicate with the official client. Per attempt: resume the prediction an
 * earlier attempt stored when it is still useful, otherwise create one and store its id before
 * waiting; poll until it ends or the deadline passes (then cancel it upstream); download every
 * output ourselves.
 */
export class ReplicateMediaGenerator extends MediaGenerator {
  private readonly client: Replicate;
  private readonly verifiedVersions = new Set<string>();

  constructor(
    private readonly settings: ReplicateSettings,
    private readonly downloader: OutputDownloader,
    observe?: UpstreamObserver,
  ) {
    super();
    this.client = new Replicate({
      auth: settings.apiToken,
      baseUrl: settings.baseUrl,
      fetch: createSingleShotFetch(settings.requestTimeoutMs, fetch, observe),
      // Stryker disable next-line BooleanLiteral: only run() and stream() turn outputs into FileOutput objects; this adapter uses neither.
      useFileOutput: false,
    });
  }

  checkInput(): InputProblem[] {
    // Inputs are model-specific; Replicate validates them (a 422 fails the job without retries).
    return [];
  }

  async generate(request: GenerationRequest): Promise<Generation> {
    let predictionId: string | undefined;
    try {
      const started = (await this.resumable(request.predictionId)) ?? (await this.create(request));
      predictionId = started.id;
      const finished = await this.waitUntilFinished(started, request);
      if (finished.status !== 'succeeded') throw predictionFailure(finished);
      return { media: await this.openOutputs(finished, request.signal), shape: outputShapeOf(finished.output) };
    } catch (error) {
      // A canceled job stops paying: its prediction is canceled upstream too.
      if (predictionId && isCanceled(request.signal)) await this.cancelQuietly(predictionId);
      throw classifyUpstreamError(error);
    }
  }

  /** The stored prediction if it is still running or already succeeded; null when a new one is needed. */
  private async resumable(predictionId: string | null): Promise<Prediction | null> {
    if (!predictionId) return null;
    try {
      const prediction = await this.client.predictions.get(predictionId);
      return prediction.status === 'failed' || prediction.status === 'canceled' || prediction.status === 'aborted'
        ? null
        : prediction;
    } catch (error) {
      if (error instanceof UpstreamHttpError && error.status === 404) return null;
      throw error;
    }
  }

  /** Not abortable: a create cut short could leave a billed prediction nobody knows about. */
  private async create(request: GenerationRequest): Promise<Prediction> {
    await this.checkAllowed(request.model);
    const [model, version] = request.model.split(':');
    const input = { ...request.input, prompt: request.prompt };
    const prediction = await this.client.predictions.create(version ? { version, input } : { model, input });
    await request.recordPrediction(prediction.id);
    return prediction;
  }

  /**
   * Refuses, before anything is billed, a model the allow-list does not cover (it may have
   * changed since submit) and a pinned version that belongs to another model than the one named.
   */
  private async checkAllowed(reference: string): Promise<void> {
    const allowance = modelAllowance(this.settings.allowedModels, reference);
    if (allowance === 'allowed') return;
    const [model, version] = reference.split(':');
    if (allowance === 'allowed_if_version_belongs' && (await this.versionBelongs(model, version))) return;
    const message =
      allowance === 'refused'
        ? `Model ${reference} is not allowed on this server`
        : `Version ${version} is not a version of ${model}, so it is not allowed on this server`;
    throw new GenerationError('model_not_allowed', message, { retryable: false });
  }

  /** Asks Replicate once per version: a version never moves to another model. */
  private async versionBelongs(model: string, version: string): Promise<boolean> {
    const reference = `${model}:${version}`;
    if (this.verifiedVersions.has(reference)) return true;
    const [owner, name] = model.split('/');
    try {
      await this.client.models.versions.get(owner, name, version);
    } catch (error) {
      if (error instanceof UpstreamHttpError && error.status === 404) return false;
      throw error;
    }
    if (this.verifiedVersions.size >= VERIFIED_VERSIONS_KEPT) this.verifiedVersions.clear();
    this.verifiedVersions.add(reference);
    return true;
  }

  /**
   * Polls until the prediction ends, passing on the progress its logs show. An abort (shutdown)
   * stops the wait, not the prediction: its stored id lets the next attempt resume it.
   */
  private async waitUntilFinished(prediction: Prediction, request: GenerationRequest): Promise<Prediction> {
    const { signal } = request;
    const created = Date.parse(prediction.created_at);
    const deadline = (Number.isNaN(created) ? Date.now() : created) + this.settings.predictionTimeoutMs;
    let current = prediction;
    while (!isFinished(current)) {
      const remaining = deadline - Date.now();
      // Stryker disable next-line EqualityOperator: at exactly 0 ms left the mutant polls once more and then gives up: not observable without a fake clock.
      if (remaining <= 0) await this.giveUp(current);
      await sleep(Math.min(this.settings.pollIntervalMs, remaining), undefined, { signal });
      current = await this.client.predictions.get(current.id, { signal });
      const progress = progressFromLogs(current.logs);
      if (progress) request.onProgress?.(progress);
    }
    return current;
  }

  /** Best effort: the prediction may have finished meanwhile. */
  private async cancelQuietly(predictionId: string): Promise<void> {
    await this.client.predictions.cancel(predictionId).catch(() => undefined);
  }

  private async giveUp(prediction: Prediction): Promise<never> {
    await this.cancelQuietly(prediction.id);
    throw new GenerationError(
      'prediction_timeout',
      `Prediction ${prediction.id} did not finish within ${this.settings.predictionTimeoutMs} ms and was canceled`,
      { retryable: true },
    );
  }

  /** Opens every output; if one fails, the others are closed instead of left hanging. */
  private async openAll(urls: string[], signal?: AbortSignal): Promise<GeneratedMedia[]> {
    const opened = await Promise.allSettled(urls.map((url) => this.downloader.open(url, signal)));
    const failure = opened.find((result) => result.status === 'rejected');
    if (!failure) return opened.map((result) => (result as PromiseFulfilledResult<GeneratedMedia>).value);
    for (const result of opened) if (result.status === 'fulfilled') result.value.content.destroy();
    throw failure.reason;
  }

  private async openOutputs(prediction: Prediction, signal?: AbortSignal): Promise<GeneratedMedia[]> {
    const urls = collectMediaUrls(prediction.output);
    if (urls.length > 0) return this.openAll(urls, signal);
    if (prediction.output === null || prediction.output === undefined) {
      throw new GenerationError('prediction_failed', `Prediction ${prediction.id} succeeded without output`, {
        retryable: false,
      });
    }
    // Output with no media in it (text, numbers, structured data) is kept as JSON.
    const json = Buffer.from(JSON.stringify(prediction.output));
    return [{ contentType: 'application/json', extension: 'json', content: Readable.from([json]) }];
  }
}
