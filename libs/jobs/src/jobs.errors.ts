import type { InputProblem } from '@app/generator';

/** Domain errors the api maps to HTTP in one place (its problem filter). */
export abstract class JobsError extends Error {
  abstract readonly code: string;
}

export class JobNotFoundError extends JobsError {
  readonly code = 'job_not_found';
  constructor(readonly jobId: string) {
    super(`No job with id ${jobId}`);
  }
}

export class MediaNotFoundError extends JobsError {
  readonly code = 'media_not_found';
  constructor(jobId: string, file: string) {
    super(`Job ${jobId} has no output named ${file}`);
  }
}

/** The job had outputs, but retention has removed them: every file of it is gone for good. */
export class MediaExpiredError extends JobsError {
  readonly code = 'media_expired';
  constructor(
    readonly jobId: string,
    readonly outputsExpiredAt: Date,
  ) {
    super(`The outputs of job ${jobId} were removed by retention at ${outputsExpiredAt.toISOString()}`);
  }
}

export class InvalidJobInputError extends JobsError {
  readonly code = 'invalid_input';
  constructor(readonly problems: InputProblem[]) {
    super(problems.map((problem) => problem.message).join('; '));
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

export class IdempotencyKeyReusedError extends JobsError {
  readonly code = 'idempotency_key_reused';
  constructor(
    readonly key: string,
    readonly jobId: string,
  ) {
    super(`Idempotency-Key ${key} was already used for job ${jobId} with a different request`);
  }
}

export class InvalidCursorError extends JobsError {
  readonly code = 'invalid_cursor';
  constructor() {
    super('The cursor is not one this API gave out');
  }
}

export class JobNotCancelableError extends JobsError {
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
