import { applyDecorators } from '@nestjs/common';
import { headerDoc } from './header-doc';
import { ApiExtraModels, ApiResponse, getSchemaPath } from './openapi-decorators';
import { ProblemDetails } from './problem-details';

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is invalid (malformed JSON, a bad field, a bad id)',
  401: 'API keys are configured and the request has no valid `Authorization: Bearer <key>`',
  404: 'No such job or file (or it belongs to another API key)',
  409: 'The job already ended',
  413: 'The request body is larger than HTTP_BODY_LIMIT_BYTES',
  415: 'The request body is not application/json',
  422: 'The Idempotency-Key was already used for a different request',
  429: "Past this API key's submissions per minute; retry after `Retry-After` seconds",
  503: 'PostgreSQL is unreachable; retry after `Retry-After` seconds',
};

/** Documents each status as an RFC 9457 problem (application/problem+json). */
export const ApiProblemResponses = (...statuses: (keyof typeof DESCRIPTIONS)[]) =>
  applyDecorators(
    ApiExtraModels(ProblemDetails),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status],
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetails) } } },
        ...((status === 503 || status === 429) && {
          headers: { 'Retry-After': headerDoc('Seconds to wait before retrying', { type: 'integer' }) },
        }),
      }),
    ),
  );
