export type GenerationErrorCode =
  | 'invalid_input'
  | 'upstream_unavailable'
  | 'upstream_rate_limited'
  | 'prediction_failed'
  | 'prediction_timeout'
  | 'internal_error';

/** A failed generation, saying whether another attempt could succeed. */
export class GenerationError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly code: GenerationErrorCode,
    message: string,
    options: { retryable: boolean; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.name = 'GenerationError';
    this.retryable = options.retryable;
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
