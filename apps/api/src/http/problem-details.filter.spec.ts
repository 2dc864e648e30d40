import {
  AttemptFailedError,
  IdempotencyKeyReusedError,
  InvalidCursorError,
  InvalidJobInputError,
  JobNotCancelableError,
  JobNotFoundError,
  type JobRequestError,
  type JobRequestErrorCode,
  MediaExpiredError,
  MediaNotFoundError,
  UnknownVersionError,
} from '@app/jobs';
import type { ArgumentsHost } from '@nestjs/common';
import { ProblemDetailsFilter } from './problem-details.filter';

const JOB_ID = '3f1c1c52-6a38-4d5e-9d0e-0a4b1f0f6a11';

/** One refusal per code, with the status a client must see: keyed by code, so a new code must be added here. */
const REFUSALS: Record<JobRequestErrorCode, { error: JobRequestError; status: number }> = {
  invalid_input: { error: new InvalidJobInputError([{ field: 'input.width', message: 'too wide' }]), status: 400 },
  invalid_cursor: { error: new InvalidCursorError(), status: 400 },
  job_not_found: { error: new JobNotFoundError(JOB_ID), status: 404 },
  media_not_found: { error: new MediaNotFoundError(JOB_ID, 'out-0.png'), status: 404 },
  job_not_cancelable: { error: new JobNotCancelableError(JOB_ID, 'succeeded'), status: 409 },
  media_expired: { error: new MediaExpiredError(JOB_ID, new Date('2026-01-02T03:04:05.000Z')), status: 410 },
  idempotency_key_reused: { error: new IdempotencyKeyReusedError('key-1', JOB_ID), status: 422 },
  unknown_version: { error: new UnknownVersionError('5c7d5dc6'), status: 422 },
};

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** Runs the filter on `exception` and captures the reply it sends. */
function answer(exception: unknown): Answer {
  const sent: Answer = { status: 0, headers: {}, body: {} };
  const reply = {
    status: (status: number) => {
      sent.status = status;
      return reply;
    },
    headers: (headers: Record<string, string>) => {
      sent.headers = headers;
      return reply;
    },
    send: (body: Record<string, unknown>) => {
      sent.body = body;
      return reply;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => reply }) } as unknown as ArgumentsHost;
  new ProblemDetailsFilter().catch(exception, host);
  return sent;
}

describe('ProblemDetailsFilter', () => {
  describe.each(Object.entries(REFUSALS))('a refusal of the job domain: %s', (code, { error, status }) => {
    it(`answers ${status} with a problem carrying the code \`${code}\``, () => {
      const sent = answer(error);
      expect(sent.status).toBe(status);
      expect(sent.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(sent.body).toMatchObject({ status, code, type: `urn:mediagen:problem:${code}` });
    });
  });

  it('lists the invalid fields of an invalid input', () => {
    expect(answer(REFUSALS.invalid_input.error).body).toMatchObject({
      detail: 'The request is invalid',
      errors: [{ field: 'input.width', message: 'too wide' }],
    });
  });

  it('says when retention removed expired media', () => {
    expect(answer(REFUSALS.media_expired.error).body).toMatchObject({ outputsExpiredAt: '2026-01-02T03:04:05.000Z' });
  });

  it('answers 503 with Retry-After when the database is unavailable', () => {
    const sent = answer(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    expect(sent.status).toBe(503);
    expect(sent.body).toMatchObject({ code: 'database_unavailable' });
    expect(sent.headers['retry-after']).toBe('5');
  });

  it("treats an attempt's outcome reaching the api as an internal error, without its details", () => {
    const failure = { code: 'upstream_rejected', message: 'secret upstream detail', retryable: false };
    const sent = answer(new AttemptFailedError(JOB_ID, failure, true));
    expect(sent.status).toBe(500);
    expect(sent.body).toMatchObject({ code: 'internal_error', detail: 'An unexpected error occurred' });
  });
});
