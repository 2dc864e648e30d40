import { GenerationError } from './generation.error';
import { UpstreamHttpError, UpstreamTimeoutError } from './upstream-fetch';

/** How long to hold every worker back after a 429 that names no Retry-After. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 10_000;

/** Replicate's problem-details body; every field is checked before use, the upstream owns its shape. */
interface ProblemBody {
  title?: unknown;
  detail?: unknown;
  invalid_fields?: { field?: unknown; description?: unknown }[];
}

/**
 * The one place that decides what an upstream failure means for the job: which error code, and
 * whether another attempt could succeed. Messages are built from the upstream's answer only.
 */
export function classifyUpstreamError(error: unknown): GenerationError {
  if (error instanceof GenerationError) return error;
  if (error instanceof UpstreamTimeoutError) {
    return new GenerationError('upstream_unavailable', error.message, { retryable: true, cause: error });
  }
  if (error instanceof UpstreamHttpError) return classifyHttpError(error);
  if (isNetworkError(error)) {
    return new GenerationError('upstream_unavailable', 'Could not reach the upstream API', {
      retryable: true,
      cause: error,
    });
  }
  return GenerationError.from(error);
}

function classifyHttpError(error: UpstreamHttpError): GenerationError {
  const { status } = error;
  const detail = describeProblem(error.body);
  const options = { cause: error };
  if (status === 429) {
    return new GenerationError('upstream_rate_limited', `Rate limited by the upstream API${detail}`, {
      ...options,
      retryable: true,
      retryAfterMs: parseRetryAfter(error.headers.get('retry-after')) ?? DEFAULT_RATE_LIMIT_WAIT_MS,
    });
  }
  if (status >= 500 || status === 408) {
    return new GenerationError('upstream_unavailable', `The upstream API answered ${status}${detail}`, {
      ...options,
      retryable: true,
    });
  }
  if (status === 400 || status === 422) {
    return new GenerationError('invalid_input', `The upstream API rejected the request${detail}`, {
      ...options,
      retryable: false,
    });
  }
  if (status === 401 || status === 403) {
    return new GenerationError('upstream_unauthorized', `The upstream API refused the credentials${detail}`, {
      ...options,
      retryable: false,
    });
  }
  if (status === 404) {
    return new GenerationError('model_not_found', `The upstream API does not know this model${detail}`, {
      ...options,
      retryable: false,
    });
  }
  return new GenerationError('upstream_rejected', `The upstream API answered ${status}${detail}`, {
    ...options,
    retryable: false,
  });
}

/** `: detail (field: description; …)` from a problem-details body, or '' when there is none. */
function describeProblem(body: string): string {
  let problem: ProblemBody;
  // Stryker disable BlockStatement: without the catch's return, `problem` stays undefined and the check below returns '' too.
  try {
    problem = JSON.parse(body) as ProblemBody;
  } catch {
    return '';
  }
  // Stryker restore BlockStatement
  if (problem === null) return '';
  // Stryker disable next-line ConditionalExpression: other JSON primitives hold no problem fields either, so they end as '' below too.
  if (typeof problem !== 'object') return '';
  const summary = [problem.detail, problem.title].find((text) => typeof text === 'string');
  // Stryker disable next-line ArrayDeclaration: whatever stands in for a missing list, its non-object entries yield no text.
  const fields = (Array.isArray(problem.invalid_fields) ? problem.invalid_fields : [])
    // Only null would throw below: other non-objects just have no such properties, so they give no text.
    .filter((field) => field !== null)
    .map((field) => [field.field, field.description].filter((text) => typeof text === 'string').join(': '))
    .filter(Boolean);
  const text = [summary, fields.length ? `(${fields.join('; ')})` : ''].filter(Boolean).join(' ');
  return text ? `: ${text}` : '';
}

/** Retry-After as delta-seconds or an HTTP date, in milliseconds from now. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  // Stryker disable next-line MethodExpression: Number() ignores surrounding whitespace itself.
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function isNetworkError(error: unknown): boolean {
  // undici reports refused, reset and dropped connections as `TypeError: fetch failed`, and the
  // socket errors carry a `code`. Checked by shape: such errors may come from another realm.
  if (typeof error !== 'object' || error === null) return false;
  return (error as { name?: unknown }).name === 'TypeError' || 'code' in error;
}
