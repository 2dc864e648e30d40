import { STATUS_CODES } from 'node:http';
import { ApiProperty, ApiPropertyOptional } from './openapi-decorators';

export class FieldError {
  @ApiProperty({ description: 'The request field at fault, as a dotted path', example: 'prompt' })
  field: string;

  @ApiProperty({ example: 'prompt must not be blank' })
  message: string;
}

/** An RFC 9457 problem: the body of every error response. */
export class ProblemDetails {
  @ApiProperty({ description: 'A URI naming the kind of problem', example: 'urn:mediagen:problem:validation_failed' })
  type: string;

  @ApiProperty({ example: 'Bad Request' })
  title: string;

  @ApiProperty({ type: 'integer', example: 400 })
  status: number;

  @ApiProperty({ example: 'The request body is invalid' })
  detail: string;

  @ApiProperty({ description: 'A stable, machine-readable error code', example: 'validation_failed' })
  code: string;

  @ApiPropertyOptional({ type: [FieldError], description: 'Every invalid field, for validation problems' })
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function problem(status: number, code: string, detail: string, errors?: FieldError[]): ProblemDetails {
  return {
    type: `urn:mediagen:problem:${code}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(errors && { errors }),
  };
}

/** The default code for a bare HTTP status: 415 → `unsupported_media_type`. */
export function codeForStatus(status: number): string {
  return (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z0-9]+/g, '_');
}
