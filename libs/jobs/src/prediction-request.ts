import type { InputProblem } from '@app/generator';
import { InvalidJobInputError, UnknownVersionError } from './jobs.errors';

/** The same bounds as a native job's prompt. */
export const MAX_PROMPT_LENGTH = 2000;

/** Replicate's webhook events; only `start` and `completed` are delivered here. */
export const PREDICTION_WEBHOOK_EVENTS = ['start', 'output', 'logs', 'completed'] as const;
export type PredictionWebhookEvent = (typeof PREDICTION_WEBHOOK_EVENTS)[number];

/** Replicate's default when no filter is sent: new output, new logs, the end; of these only the end is delivered. */
export const DEFAULT_PREDICTION_WEBHOOK_EVENTS: PredictionWebhookEvent[] = ['output', 'logs', 'completed'];

/**
 * Replicate has no top-level prompt: a prediction's prompt is `input.prompt`, which becomes the
 * job's prompt (a non-blank string of at most MAX_PROMPT_LENGTH characters); the rest of `input`
 * is the job's input.
 */
export function splitPredictionInput(input: Record<string, unknown>): {
  prompt: string;
  input: Record<string, unknown>;
} {
  const { prompt, ...rest } = input;
  const problem = promptProblem(prompt);
  if (problem) throw new InvalidJobInputError([problem]);
  return { prompt: prompt as string, input: rest };
}

function promptProblem(prompt: unknown): InputProblem | null {
  if (typeof prompt !== 'string' || !/\S/.test(prompt)) {
    return { field: 'input.prompt', message: 'input.prompt is required: a non-blank string (the prompt)' };
  }
  if (prompt.length > MAX_PROMPT_LENGTH) {
    return { field: 'input.prompt', message: `input.prompt must be at most ${MAX_PROMPT_LENGTH} characters` };
  }
  return null;
}

/**
 * The model a Replicate `version` names: `owner/name:id` and `owner/name` are model references
 * already; a bare version id (what Replicate's clients send for `owner/name:id`) is the entry of
 * REPLICATE_ALLOWED_MODELS that pins it. An id no entry pins names no model this server knows.
 */
export function modelForVersion(allowedModels: readonly string[], version: string): string {
  if (version.includes('/')) return version;
  const pinned = allowedModels.find((entry) => entry.split(':')[1] === version);
  if (!pinned) throw new UnknownVersionError(version);
  return pinned;
}
