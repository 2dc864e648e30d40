import type { MediaExpiredError } from '@app/jobs';
import { ApiProperty } from '../http/openapi-decorators';
import { ProblemDetails, problem } from '../http/problem-details';

/** The 410 answer for a media URL whose files retention removed. */
export class MediaExpiredProblem extends ProblemDetails {
  @ApiProperty({ description: "When retention removed the job's outputs", format: 'date-time' })
  outputsExpiredAt: string;
}

export function mediaExpiredProblem(error: MediaExpiredError): MediaExpiredProblem {
  return { ...problem(410, error.code, error.message), outputsExpiredAt: error.outputsExpiredAt.toISOString() };
}
