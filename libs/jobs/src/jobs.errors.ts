import type { InputProblem } from '@app/generator';

/** Every error the job domain throws: what a request was refused for, or how an attempt ended. */
export abstract class JobsError extends Error {
  abstract readonly code: string;
}

/**
 * Why a request to the job domain was refused. The api maps every code to HTTP in one place (its
 * problem filter, keyed by this type), so a new code does not compile until it has an answer.
 */
export type JobRequestErrorCode =
  | 'job_not_found'
  | 'media_not_found'
  | 'media_expired'
  | 'invalid_input'
  | 'idempotency_key_reused'
  | 'invalid_cursor'
  | 'job_not_cancelable'
  | 'unknown_version';

/** A request the domain refused; the worker's attempt outcomes are not of this kind. */
export abstract class JobRequestError extends JobsError {
  abstract override readonly code: JobRequestErrorCode;
}

export class JobNotFoundError extends JobRequestError {
  readonly code = 'job_not_found';
  constructor(readonly jobId: string) {
    super(`No job with id ${jobId}`);
  }
}

export class MediaNotFoundError extends JobRequestError {
  readonly code = 'media_not_found';
  constructor(jobId: string, file: string) {
    super(`Job ${jobId} has no output named ${file}`);
  }
}

/** The job had outputs, but retention has removed them: every file of it is gone for good. */
export class MediaExpiredError extends JobRequestError {
  readonly code = 'media_expired';
  constructor(
    readonly jobId: string,
    readonly outputsExpiredAt: Date,
  ) {
    super(`The outputs of job ${jobId} were removed by retention at ${outputsExpiredAt.toISOString()}`);
  }
}

export class InvalidJobInputError extends JobRequestError {
  readonly code = 'invalid_input';
  constructor(readonly problems: InputProblem[]) {
    super(problems.map((problem) => problem.message).join('; '));
  }
}

/** A Replicate-style bare version id that no REPLICATE_ALLOWED_MODELS entry pins: its model is unknown. */
export class UnknownVersionError extends JobRequestError {
  readonly code = 'unknown_version';
  constructor(readonly version: string) {
    super(
      `Invalid version or not permitted: ${version} is not pinned by any model this server allows; ` +
        'send it as owner/name:version',
    );
  }
}

/** An attempt stopped because its job was canceled; nothing is left to do for it. */
export class AttemptCanceledError extends JobsError {
  readonly code = 'attempt_canceled';
  constructor(readonly jobId: string) {
    super(`Attempt of job ${jobId} stopped: the job was canceled`);
  }
}

/** An attempt stopped by a worker shutdown; the job goes back to the queue for another worker. */
export class AttemptInterruptedError extends JobsError {
  readonly code = 'attempt_interrupted';
  constructor(readonly jobId: string) {
    super(`Attempt of job ${jobId} was interrupted by shutdown`);
  }
}

export class IdempotencyKeyReusedError extends JobRequestError {
  readonly code = 'idempotency_key_reused';
  constructor(
    readonly key: string,
    readonly jobId: string,
  ) {
    super(`Idempotency-Key ${key} was already used for job ${jobId} with a different request`);
  }
}

export class InvalidCursorError extends JobRequestError {
  readonly code = 'invalid_cursor';
  constructor() {
    super('The cursor is not one this API gave out');
  }
}

export class JobNotCancelableError extends JobRequestError {
  readonly code = 'job_not_cancelable';
  constructor(
    readonly jobId: string,
    readonly status: string,
  ) {
    super(`Job ${jobId} is already ${status}`);
  }
}

/** How an attempt failed, as recorded on the job and acted on by the queue. */
export interface AttemptFailure {
  code: string;
  message: string;
  retryable: boolean;
  /** Set when the upstream asked everyone to wait this long: the attempt was given back. */
  retryAfterMs?: number;
}

/**
 * An attempt failed and its failure is recorded. `final` is decided from the job's row alone
 * (permanent error, or no attempt left): then the job is `failed`; otherwise it is `queued` again.
 */
export class AttemptFailedError extends JobsError {
  readonly code: string;
  constructor(
    readonly jobId: string,
    readonly failure: AttemptFailure,
    readonly final: boolean,
  ) {
    super(failure.message);
    this.code = failure.code;
  }
}

/**
 * PostgreSQL or Redis could not serve the attempt, so it could not start or record its outcome.
 * It used no attempt: the job waits for the outage to end. `unrecordedAttempt` is the attempt
 * that began but whose outcome is unknown; it is settled (given back) when the job runs again.
 */
export class InfrastructureUnavailableError extends JobsError {
  readonly code = 'infrastructure_unavailable';
  constructor(
    readonly jobId: string,
    readonly unrecordedAttempt: number | undefined,
    cause: unknown,
  ) {
    super(`Job ${jobId} waits: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The model returned more than one job may keep; never retried, as a rerun returns as much. */
export class OutputLimitExceededError extends JobsError {
  constructor(
    readonly code: 'too_many_outputs' | 'output_too_large',
    message: string,
  ) {
    super(message);
  }
}
