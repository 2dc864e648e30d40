import { JOB_STATUSES, type JobEntity, type JobStatus, presentJob } from '@app/jobs';
import { ApiProperty } from '../../http/openapi-decorators';

export class JobError {
  @ApiProperty({ example: 'upstream_unavailable' })
  code: string;

  @ApiProperty({ example: 'The generator is temporarily unavailable' })
  message: string;

  @ApiProperty({ description: 'Whether another attempt could succeed', example: true })
  retryable: boolean;
}

export class JobOutput {
  @ApiProperty({ format: 'uri', example: 'http://localhost:8000/v1/media/0b9f6c1e-8d7a-4d6e-9a53-2f0c1f1e2a3b/0.png' })
  url: string;

  @ApiProperty({ description: 'The file name, the `{file}` of `GET /v1/media/{jobId}/{file}`', example: '0.png' })
  file: string;

  @ApiProperty({ example: 'image/png' })
  contentType: string;

  @ApiProperty({ type: 'integer', example: 48213 })
  bytes: number;

  @ApiProperty({
    description: 'Hex SHA-256 of the file',
    example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  })
  sha256: string;
}

export class JobProgress {
  @ApiProperty({
    type: 'integer',
    nullable: true,
    minimum: 0,
    maximum: 100,
    description: 'How far the running attempt got, when the generator tells',
    example: 45,
  })
  percent: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    maxLength: 160,
    description: "The generator's latest log line (secrets and URLs removed)",
    example: '45%|████▌     | 9/20 [00:04<00:05, 2.10it/s]',
  })
  message: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-11-25T10:00:04.200Z' })
  updatedAt: string;
}

export class JobAttempt {
  @ApiProperty({
    type: 'integer',
    description: 'The attempt number (a handed-back attempt is run again under it)',
    example: 1,
  })
  attempt: number;

  @ApiProperty({ format: 'date-time', example: '2026-11-25T10:00:00.120Z' })
  startedAt: string;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'Null while it runs',
    example: '2026-11-25T10:00:01.480Z',
  })
  endedAt: string | null;

  @ApiProperty({
    type: JobError,
    nullable: true,
    description: 'What the attempt ended with; null when it succeeded or was canceled',
  })
  error: JobError | null;
}

export class JobResource {
  @ApiProperty({ format: 'uuid', example: '0b9f6c1e-8d7a-4d6e-9a53-2f0c1f1e2a3b' })
  id: string;

  @ApiProperty({ enum: JOB_STATUSES, enumName: 'JobStatus', example: 'succeeded' })
  status: JobStatus;

  @ApiProperty({ example: 'a red fox in fresh snow, golden hour' })
  prompt: string;

  @ApiProperty({ example: 'black-forest-labs/flux-schnell' })
  model: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The model inputs as submitted (their shape depends on the model)',
    example: { width: 512, height: 512, seed: 7 },
  })
  input: Record<string, unknown>;

  @ApiProperty({ type: 'integer', description: 'Attempts started so far', example: 1 })
  attempts: number;

  @ApiProperty({ type: 'integer', description: 'Attempts allowed before the job fails', example: 3 })
  maxAttempts: number;

  @ApiProperty({ type: JobError, nullable: true, description: 'The last error; kept while a retry is pending' })
  error: JobError | null;

  @ApiProperty({ type: [JobOutput] })
  outputs: JobOutput[];

  @ApiProperty({ format: 'date-time', example: '2026-11-25T10:00:00.000Z' })
  createdAt: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: '2026-11-25T10:00:00.120Z' })
  startedAt: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: '2026-11-25T10:00:01.480Z' })
  completedAt: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-11-25T10:00:01.480Z' })
  updatedAt: string;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'When retention deleted the outputs (RETENTION_DAYS after the job ended); null while they are kept',
    example: null,
  })
  outputsExpiredAt: string | null;

  @ApiProperty({
    type: JobProgress,
    nullable: true,
    description:
      "The running attempt's progress, updated at most once a second; null while no attempt runs or it reported none",
  })
  progress: JobProgress | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description:
      'While queued: about how many jobs wait ahead of this one (approximate: the queue moves while it is read). ' +
      'Null when unknown (waiting for a retry, far back in a long queue, Redis unavailable), once the job left the queue, ' +
      'and in the answer to a submit (read the job for it)',
    example: 3,
  })
  queuePosition: number | null;

  @ApiProperty({
    type: [JobAttempt],
    description:
      'Every attempt, oldest first, with the error it ended with: an earlier error stays here after a retry succeeds',
  })
  attemptHistory: JobAttempt[];
}

/** The public view of a job (see presentJob); this class documents it in the OpenAPI spec. */
export const toJobResource: (job: JobEntity, publicBaseUrl: string, queuePosition?: number | null) => JobResource =
  presentJob;

export class JobPage {
  @ApiProperty({ type: [JobResource], description: 'Newest first' })
  data: JobResource[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The path of the next page (same filters), or null on the last page',
    example: '/v1/jobs?limit=20&cursor=MjAyNi0xMS0yNVQxMDowMDowMC4wMDBafDBiOWY2YzFl',
  })
  next: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The `cursor` query parameter of the next page, or null on the last page',
    example: 'MjAyNi0xMS0yNVQxMDowMDowMC4wMDBafDBiOWY2YzFl',
  })
  nextCursor: string | null;
}
