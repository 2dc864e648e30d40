import {
  InvalidJobInputError,
  isDatabaseUnavailable,
  JobRequestError,
  type JobRequestErrorCode,
  MediaExpiredError,
} from '@app/jobs';
import { SharedSecretNotServedError, WebhooksDisabledError } from '@app/webhooks';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { mediaExpiredProblem } from '../media/media-expired.problem';
import { codeForStatus, PROBLEM_CONTENT_TYPE, type ProblemDetails, problem } from './problem-details';
import { RequestValidationException } from './request-validation';
import { RateLimitedException } from './submit-rate-limit.guard';

const DATABASE_RETRY_AFTER_SECONDS = 5;

/** The HTTP status of every refusal of the job domain: a new code does not compile until it has one. */
export const DOMAIN_ERROR_STATUS = {
  invalid_input: 400,
  invalid_cursor: 400,
  job_not_found: 404,
  media_not_found: 404,
  job_not_cancelable: 409,
  media_expired: 410,
  idempotency_key_reused: 422,
  unknown_version: 422,
} as const satisfies Record<JobRequestErrorCode, number>;

interface ProblemResponse {
  body: ProblemDetails;
  headers?: Record<string, string>;
}

/** The one place where errors become HTTP: every error response is an RFC 9457 problem. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const { body, headers } = this.toProblem(exception);
    if (body.status >= 500) this.logger.error({ err: exception }, 'Request failed');
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    reply
      .status(body.status)
      .headers({ ...headers, 'content-type': PROBLEM_CONTENT_TYPE })
      .send(body);
  }

  private toProblem(exception: unknown): ProblemResponse {
    if (exception instanceof JobRequestError) return this.fromDomainError(exception);
    if (exception instanceof WebhooksDisabledError) return { body: problem(404, exception.code, exception.message) };
    if (exception instanceof SharedSecretNotServedError)
      return { body: problem(403, exception.code, exception.message) };
    if (exception instanceof RequestValidationException) {
      return { body: problem(400, 'validation_failed', 'The request is invalid', exception.fieldErrors) };
    }
    if (exception instanceof RateLimitedException) {
      return {
        body: problem(429, 'rate_limited', exception.message),
        headers: { 'retry-after': String(exception.retryAfterSeconds) },
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const headers = status === 401 ? { 'www-authenticate': 'Bearer' } : undefined;
      return { body: problem(status, codeForStatus(status), httpExceptionDetail(exception)), headers };
    }
    if (isDatabaseUnavailable(exception)) {
      return {
        body: problem(503, 'database_unavailable', 'The job database is unavailable; try again shortly'),
        headers: { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) },
      };
    }
    const clientError = asFastifyClientError(exception);
    if (clientError)
      return { body: problem(clientError.statusCode, codeForStatus(clientError.statusCode), clientError.message) };
    return { body: problem(500, 'internal_error', 'An unexpected error occurred') };
  }

  private fromDomainError(error: JobRequestError): ProblemResponse {
    const status = DOMAIN_ERROR_STATUS[error.code];
    if (error instanceof InvalidJobInputError) {
      return { body: problem(status, error.code, 'The request is invalid', error.problems) };
    }
    if (error instanceof MediaExpiredError) return { body: mediaExpiredProblem(error) };
    return { body: problem(status, error.code, error.message) };
  }
}

function httpExceptionDetail(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/** Fastify's own request errors (bad JSON, body too large, unsupported media type) carry a 4xx. */
function asFastifyClientError(error: unknown): { statusCode: number; message: string } | null {
  const candidate = error as { statusCode?: unknown; message?: unknown; code?: unknown } | null;
  const status = candidate?.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  if (candidate?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { statusCode: status, message: 'Send the request body as application/json' };
  }
  return { statusCode: status, message: String(candidate?.message ?? codeForStatus(status)) };
}
