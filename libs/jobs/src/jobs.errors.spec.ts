import {
  AttemptCanceledError,
  AttemptFailedError,
  AttemptInterruptedError,
  IdempotencyKeyReusedError,
  InfrastructureUnavailableError,
  InvalidCursorError,
  InvalidJobInputError,
  JobNotCancelableError,
  JobNotFoundError,
  type JobsError,
  MediaExpiredError,
  MediaNotFoundError,
  UnknownVersionError,
} from './jobs.errors';

// The code and message are what clients read in a problem+json answer (and what the worker logs).
describe('job domain errors', () => {
  it.each<[JobsError, string, string]>([
    [new JobNotFoundError('j'), 'job_not_found', 'No job with id j'],
    [new MediaNotFoundError('j', '0.png'), 'media_not_found', 'Job j has no output named 0.png'],
    [
      new MediaExpiredError('j', new Date('2026-12-30T00:00:00Z')),
      'media_expired',
      'The outputs of job j were removed by retention at 2026-12-30T00:00:00.000Z',
    ],
    [
      new InvalidJobInputError([
        { field: 'a', message: 'a is wrong' },
        { field: 'b', message: 'b is wrong' },
      ]),
      'invalid_input',
      'a is wrong; b is wrong',
    ],
    [new AttemptCanceledError('j'), 'attempt_canceled', 'Attempt of job j stopped: the job was canceled'],
    [new AttemptInterruptedError('j'), 'attempt_interrupted', 'Attempt of job j was interrupted by shutdown'],
    [
      new IdempotencyKeyReusedError('k', 'j'),
      'idempotency_key_reused',
      'Idempotency-Key k was already used for job j with a different request',
    ],
    [new InvalidCursorError(), 'invalid_cursor', 'The cursor is not one this API gave out'],
    [
      new UnknownVersionError('v1'),
      'unknown_version',
      'Invalid version or not permitted: v1 is not pinned by any model this server allows; send it as owner/name:version',
    ],
    [new JobNotCancelableError('j', 'failed'), 'job_not_cancelable', 'Job j is already failed'],
    [
      new AttemptFailedError('j', { code: 'prediction_failed', message: 'no', retryable: false }, true),
      'prediction_failed',
      'no',
    ],
    [
      new InfrastructureUnavailableError('j', 2, new Error('connect ECONNREFUSED')),
      'infrastructure_unavailable',
      'Job j waits: connect ECONNREFUSED',
    ],
    [
      new InfrastructureUnavailableError('j', undefined, 'Redis gone'),
      'infrastructure_unavailable',
      'Job j waits: Redis gone',
    ],
  ])('%#: carries its code and a message that says what happened', (error, code, message) => {
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
  });

  it('keeps the outage that made an attempt wait as its cause', () => {
    const outage = new Error('connect ECONNREFUSED');

    expect(new InfrastructureUnavailableError('j', 1, outage).cause).toBe(outage);
  });
});
