import { type AppConfig, appConfig } from '@app/config';
import type { JobEntity, JobOutputShape, JobStatus } from '@app/database';
import { Inject, Injectable } from '@nestjs/common';
import { publishedOutputs } from './job-presenter';
import { MediaCapabilities } from './media-capabilities';

/** A prediction's status, in Replicate's words. */
export type PredictionStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';

/** Each job status as Replicate names it: a queued job (or one waiting for a retry) is `starting`. */
export const PREDICTION_STATUS = {
  queued: 'starting',
  processing: 'processing',
  succeeded: 'succeeded',
  failed: 'failed',
  canceled: 'canceled',
} as const satisfies Record<JobStatus, PredictionStatus>;

/** A job as a Replicate prediction: the body the Replicate-compatible routes answer and webhooks carry. */
export interface PredictionView {
  id: string;
  model: string;
  /** The pinned version, or null when the job runs the model's latest. */
  version: string | null;
  input: Record<string, unknown>;
  /** The outputs' URLs in the model's own shape (a URL, a list, an object), null until it succeeded. */
  output: unknown;
  status: PredictionStatus;
  error: string | null;
  logs: string;
  metrics: { predict_time?: number; total_time?: number };
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  /** True once retention removed the outputs (Replicate's name for it). */
  data_removed: boolean;
  source: 'api';
  urls: { get: string; cancel: string };
}

/** Where a job's files and prediction live: the public base URL and a file's (capability) URL. */
export interface PredictionLinks {
  publicBaseUrl: string;
  fileUrl(jobId: string, file: string): string;
}

/** `owner/name:version` as Replicate's `model` and `version` fields. */
export function splitModelReference(reference: string): { model: string; version: string | null } {
  const [model, version] = reference.split(':');
  return { model, version: version ?? null };
}

function isOutputSlot(value: unknown): value is { $output: number } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === '$output' && typeof (value as { $output: unknown }).$output === 'number';
}

/**
 * The outputs' URLs put back into the model's output shape. Without a recorded shape (jobs made
 * before it was recorded) one output is a URL and several a list; without outputs it is null.
 */
export function shapeOutput(shape: JobOutputShape | null, urls: readonly string[]): unknown {
  if (urls.length === 0) return null;
  if (shape === null || shape === undefined) return urls.length === 1 ? urls[0] : [...urls];
  const fill = (value: unknown): unknown => {
    if (isOutputSlot(value)) return urls[value.$output] ?? null;
    if (Array.isArray(value)) return value.map(fill);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fill(item)]));
    }
    return value;
  };
  return fill(shape);
}

/** Seconds between two instants, to the millisecond; absent unless both are known. */
function secondsBetween(from: Date | null, to: Date | null): number | undefined {
  return from && to ? (to.getTime() - from.getTime()) / 1000 : undefined;
}

/** `predict_time` from the first start to the end, `total_time` from creation to the end, once ended. */
export function predictionMetrics(job: Pick<JobEntity, 'createdAt' | 'startedAt' | 'completedAt'>) {
  const metrics: PredictionView['metrics'] = {};
  const predictTime = secondsBetween(job.startedAt, job.completedAt);
  const totalTime = secondsBetween(job.createdAt, job.completedAt);
  if (predictTime !== undefined) metrics.predict_time = predictTime;
  if (totalTime !== undefined) metrics.total_time = totalTime;
  return metrics;
}

/**
 * A job as Replicate shows a prediction. The prompt goes back into `input`, where Replicate has
 * it; `logs` is the last progress line the generator reported; `error` is set only once failed.
 */
export function presentPrediction(job: JobEntity, links: PredictionLinks): PredictionView {
  const url = `${links.publicBaseUrl}/v1/predictions/${job.id}`;
  const urls = publishedOutputs(job).map((output) => links.fileUrl(job.id, output.file));
  return {
    id: job.id,
    ...splitModelReference(job.model),
    input: { ...job.input, prompt: job.prompt },
    output: job.status === 'succeeded' ? shapeOutput(job.outputShape, urls) : null,
    status: PREDICTION_STATUS[job.status],
    error: job.status === 'failed' ? (job.error?.message ?? 'The prediction failed') : null,
    logs: job.progress?.message ?? '',
    metrics: predictionMetrics(job),
    created_at: job.createdAt.toISOString(),
    started_at: job.startedAt?.toISOString() ?? null,
    completed_at: job.completedAt?.toISOString() ?? null,
    data_removed: job.outputsExpiredAt !== null,
    source: 'api',
    urls: { get: url, cancel: `${url}/cancel` },
  };
}

/** Presents jobs as predictions with this server's public base URL and capability URLs for files. */
@Injectable()
export class PredictionPresenter implements PredictionLinks {
  readonly publicBaseUrl: string;

  constructor(
    @Inject(appConfig.KEY) app: Pick<AppConfig, 'publicBaseUrl'>,
    private readonly capabilities: MediaCapabilities,
  ) {
    this.publicBaseUrl = app.publicBaseUrl;
  }

  present(job: JobEntity): PredictionView {
    return presentPrediction(job, this);
  }

  /** The file's URL with its capability token, so clients fetch it without a key (plain when no secret signs). */
  fileUrl(jobId: string, file: string): string {
    const token = this.capabilities.token(jobId, file);
    const url = `${this.publicBaseUrl}/v1/media/${jobId}/${file}`;
    return token ? `${url}?token=${token}` : url;
  }
}
