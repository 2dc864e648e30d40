import { PREDICTION_STATUS, type PredictionStatus } from '@app/jobs';
import { ApiProperty, ApiPropertyOptional } from '../../http/openapi-decorators';

const PREDICTION_STATUSES = [...new Set(Object.values(PREDICTION_STATUS))] as PredictionStatus[];
const EXAMPLE_ID = '0b9f6c1e-8d7a-4d6e-9a53-2f0c1f1e2a3b';
const EXAMPLE_URL = `http://localhost:8000/v1/predictions/${EXAMPLE_ID}`;

export class PredictionMetrics {
  @ApiPropertyOptional({ description: 'Seconds from the first start to the end, once ended', example: 2.75 })
  predict_time?: number;

  @ApiPropertyOptional({ description: 'Seconds from creation to the end, once ended', example: 3.1 })
  total_time?: number;
}

export class PredictionUrls {
  @ApiProperty({ format: 'uri', example: EXAMPLE_URL })
  get: string;

  @ApiProperty({ format: 'uri', example: `${EXAMPLE_URL}/cancel` })
  cancel: string;
}

/** A job as Replicate's API shows a prediction. */
export class Prediction {
  @ApiProperty({ description: 'The job id', format: 'uuid', example: EXAMPLE_ID })
  id: string;

  @ApiProperty({ example: 'black-forest-labs/flux-schnell' })
  model: string;

  @ApiProperty({ type: String, nullable: true, description: 'The pinned version, null for the latest', example: null })
  version: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The model inputs, with the prompt as `prompt`',
    example: { prompt: 'a red fox in fresh snow', num_outputs: 1 },
  })
  input: Record<string, unknown>;

  @ApiProperty({
    description:
      "The outputs' URLs in the shape the model gave them (one URL, a list, an object), null until " +
      'succeeded. Durable URLs of this server, each with a capability token for that one file',
    nullable: true,
    oneOf: [
      { type: 'string', format: 'uri' },
      { type: 'array', items: {} },
      { type: 'object', additionalProperties: true },
    ],
    example: [`http://localhost:8000/v1/media/${EXAMPLE_ID}/0.png?token=3q2-7w`],
  })
  output: unknown;

  @ApiProperty({ enum: PREDICTION_STATUSES, enumName: 'PredictionStatus', example: 'succeeded' })
  status: PredictionStatus;

  @ApiProperty({ type: String, nullable: true, description: 'Why it failed, once failed', example: null })
  error: string | null;

  @ApiProperty({ description: "The generator's latest progress line, or empty", example: '' })
  logs: string;

  @ApiProperty({ type: PredictionMetrics })
  metrics: PredictionMetrics;

  @ApiProperty({ format: 'date-time', example: '2026-11-25T10:00:00.000Z' })
  created_at: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-11-25T10:00:00.250Z' })
  started_at: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-11-25T10:00:03.000Z' })
  completed_at: string | null;

  @ApiProperty({ description: 'True once retention removed the outputs', example: false })
  data_removed: boolean;

  @ApiProperty({ enum: ['api'], example: 'api' })
  source: 'api';

  @ApiProperty({ type: PredictionUrls })
  urls: PredictionUrls;
}

export class PredictionPage {
  @ApiProperty({
    type: String,
    format: 'uri',
    nullable: true,
    description: 'The next page (absolute URL), null on the last',
    example: 'http://localhost:8000/v1/predictions?cursor=MjAyNi0xMS0yNVQxMDowMDowMC4wMDBa',
  })
  next: string | null;

  @ApiProperty({
    type: String,
    format: 'uri',
    nullable: true,
    description: 'Always null: pages go forward only',
    example: null,
  })
  previous: string | null;

  @ApiProperty({ type: [Prediction], description: 'Newest first' })
  results: Prediction[];
}
