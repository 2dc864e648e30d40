import { PREDICTION_WEBHOOK_EVENTS, type PredictionWebhookEvent } from '@app/jobs';
import { ArrayUnique, IsArray, IsIn, IsObject, IsOptional, IsString, IsUrl, Matches, MaxLength } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '../../http/openapi-decorators';
import { MAX_INPUT_BYTES, MaxSerializedBytes } from '../../jobs/dto/generate-request.dto';

/** `owner/name`, `owner/name:version`, or a bare version id. */
const VERSION_PATTERN = /^(?:[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+(?::[A-Za-z0-9._-]+)?|[A-Za-z0-9._-]+)$/;

/** What both create routes take besides the model. */
export class ModelPredictionRequest {
  @ApiProperty({
    description:
      'The model inputs, with the prompt as `prompt` (required: a non-blank string of at most 2000 ' +
      'characters); the rest is passed to the generator (at most 16 KiB as JSON)',
    type: 'object',
    additionalProperties: true,
    example: { prompt: 'a red fox in fresh snow, golden hour', num_outputs: 1 },
  })
  @IsObject()
  @MaxSerializedBytes(MAX_INPUT_BYTES)
  input: Record<string, unknown>;

  @ApiPropertyOptional({
    description:
      'A URL that receives the prediction, signed (Standard Webhooks), on the events in `webhook_events_filter`',
    format: 'uri',
    maxLength: 2048,
    example: 'https://example.com/hooks/replicate',
  })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @MaxLength(2048)
  webhook?: string;

  @ApiPropertyOptional({
    description:
      "Replicate's events; `start` and `completed` are delivered, `output` and `logs` are accepted and " +
      'never sent. Default: `output`, `logs`, `completed`',
    enum: PREDICTION_WEBHOOK_EVENTS,
    enumName: 'PredictionWebhookEvent',
    isArray: true,
    example: ['start', 'completed'],
  })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(PREDICTION_WEBHOOK_EVENTS, { each: true })
  webhook_events_filter?: PredictionWebhookEvent[];
}

export class PredictionRequest extends ModelPredictionRequest {
  @ApiProperty({
    description:
      '`owner/name:version`, `owner/name`, or a bare version id, which must be pinned by an entry of ' +
      'REPLICATE_ALLOWED_MODELS (`owner/name:id`)',
    pattern: VERSION_PATTERN.source,
    maxLength: 200,
    example: 'black-forest-labs/flux-schnell',
  })
  @IsString()
  @MaxLength(200)
  @Matches(VERSION_PATTERN, { message: 'version must be owner/name:version, owner/name or a version id' })
  version: string;
}
