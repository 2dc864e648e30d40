import type { InputProblem } from '@app/replicate';

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
