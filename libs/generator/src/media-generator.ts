import type { Readable } from 'node:stream';
import type { OutputShape } from './prediction-output';

/** Why an attempt's signal was aborted; generators cancel upstream work only for `canceled`. */
export const ABORT_REASONS = { shutdown: 'worker-shutdown', canceled: 'job-canceled' } as const;

export function isCanceled(signal?: AbortSignal): boolean {
  return signal?.aborted === true && signal.reason === ABORT_REASONS.canceled;
}

/** How far a generation got, as the generator can tell: either part may be unknown. */
export interface GenerationProgress {
  /** 0–100, or null when the generator reports no fraction. */
  percent: number | null;
  /** A short, safe line about the current step (no secrets, no URLs), or null. */
  message: string | null;
}

export interface GenerationRequest {
  jobId: string;
  /** 1 for the first attempt; a retry or a resumed stalled job has a higher number. */
  attempt: number;
  model: string;
  prompt: string;
  input: Record<string, unknown>;
  /** The upstream prediction an earlier attempt started, if any: resume it instead of paying twice. */
  predictionId: string | null;
  /** Persists a newly created prediction's id; called before waiting on it. */
  recordPrediction(predictionId: string): Promise<void>;
  /** Called as the generation advances, as often as the generator likes (the caller throttles); never awaited. */
  onProgress?(progress: GenerationProgress): void;
  /** Aborted when the worker shuts down or the job is canceled (see ABORT_REASONS); waits stop early. */
  signal?: AbortSignal;
}

export interface GeneratedMedia {
  contentType: string;
  /** File extension without the dot, e.g. `png`. */
  extension: string;
  content: Readable;
}

/** What a generation made: its media, in order, and where each sits in the model's own output. */
export interface Generation {
  media: GeneratedMedia[];
  shape: OutputShape;
}

export interface InputProblem {
  field: string;
  message: string;
}

/** The generator port: turns a prompt and model inputs into media. */
export abstract class MediaGenerator {
  /** Problems with `input` that the generator can see before any work starts (empty when fine). */
  abstract checkInput(model: string, input: Record<string, unknown>): InputProblem[];

  abstract generate(request: GenerationRequest): Promise<Generation>;
}
