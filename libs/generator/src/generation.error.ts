export type GenerationErrorCode =
  | 'invalid_input'
  | 'model_not_found'
  | 'model_not_allowed'
  | 'upstream_unauthorized'
  | 'upstream_rejected'
  | 'upstream_unavailable'
  | 'upstream_rate_limited'
  | 'prediction_failed'
  | 'prediction_canceled'
  | 'prediction_aborted'
  | 'prediction_timeout'
  | 'output_unavailable'
  | 'output_url_refused'
  | 'output_too_large'
  | 'internal_error';

/** A failed generation, saying whether another attempt could succeed. */
export class GenerationError extends Error {
  readonly retryable: boolean;
  /** Set when the upstream asked everyone to wait this long before calling again. */
  readonly retryAfterMs?: number;

  constructor(
    readonly code: GenerationErrorCode,
    message: string,
    options: { retryable: boolean; retryAfterMs?: number; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.name = 'GenerationError';
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** Anything thrown during an attempt, as a GenerationError; unknown errors count as transient. */
  static from(error: unknown): GenerationError {
    if (error instanceof GenerationError) return error;
    return new GenerationError('internal_error', 'Internal error while processing the job', {
      retryable: true,
      cause: error,
    });
  }
}
