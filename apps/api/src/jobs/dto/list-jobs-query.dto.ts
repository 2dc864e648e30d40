import { isAcceptedInstant, JOB_STATUSES, type JobStatus } from '@app/jobs';
import { Transform, Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateBy } from 'class-validator';
import { ApiPropertyOptional } from '../../http/openapi-decorators';

export const MAX_PAGE_SIZE = 100;

const IsAcceptedInstant = () =>
  ValidateBy({
    name: 'isAcceptedInstant',
    validator: {
      validate: (value: unknown) => value instanceof Date && isAcceptedInstant(value),
      defaultMessage: (args) => `${args?.property ?? 'value'} must be between years 0001 and 9999`,
    },
  });

export class ListJobsQuery {
  @ApiPropertyOptional({
    description: 'Only jobs in these states (comma-separated)',
    enum: JOB_STATUSES,
    enumName: 'JobStatus',
    isArray: true,
    example: ['succeeded'],
  })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.split(',') : value))
  @IsIn(JOB_STATUSES, { each: true })
  status?: JobStatus[];

  @ApiPropertyOptional({ description: 'Only jobs for this model', example: 'black-forest-labs/flux-schnell' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;

  @ApiPropertyOptional({ description: 'Only jobs created after this instant', format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  @IsAcceptedInstant()
  createdAfter?: Date;

  @ApiPropertyOptional({ description: 'Only jobs created before this instant', format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  @IsAcceptedInstant()
  createdBefore?: Date;

  @ApiPropertyOptional({ type: 'integer', description: 'Page size', minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = 20;

  @ApiPropertyOptional({ description: 'The `next` cursor of the previous page' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'cursor must be a cursor this API gave out' })
  cursor?: string;
}
