import type { Prediction } from 'replicate';
import { GenerationError } from './generation.error';

/** Replicate error codes that describe the platform, not the request: another try can succeed. */
const TRANSIENT_PREDICTION_ERRORS = new Set(['E6716']);

/** Why a finished prediction produced no media, as the job's error. */
export function predictionFailure(prediction: Prediction): GenerationError {
  switch (prediction.status) {
    case 'failed': {
      const text = typeof prediction.error === 'string' ? prediction.error : 'The prediction failed';
      const code = /\bE\d{4}\b/.exec(text)?.[0];
      return new GenerationError('prediction_failed', `Prediction ${prediction.id} failed: ${text}`, {
        // Stryker disable next-line ConditionalExpression: the set holds no undefined; the check is there for the types.
        retryable: code !== undefined && TRANSIENT_PREDICTION_ERRORS.has(code),
      });
    }
    case 'canceled':
      return new GenerationError('prediction_canceled', `Prediction ${prediction.id} was canceled upstream`, {
        retryable: false,
      });
    case 'aborted':
      // Its deadline passed before it started, so it was never billed: a new one may well run.
      return new GenerationError('prediction_aborted', `Prediction ${prediction.id} was aborted before it started`, {
        retryable: true,
      });
    default:
      return new GenerationError('internal_error', `Prediction ${prediction.id} ended as ${prediction.status}`, {
        retryable: true,
      });
  }
}

export const TERMINAL_PREDICTION_STATUSES: readonly Prediction['status'][] = [
  'succeeded',
  'failed',
  'canceled',
  'aborted',
];

export function isFinished(prediction: Prediction): boolean {
  return TERMINAL_PREDICTION_STATUSES.includes(prediction.status);
}
