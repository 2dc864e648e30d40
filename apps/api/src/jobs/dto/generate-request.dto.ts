import { MODEL_REFERENCE_PATTERN } from '@app/config';
import {
  ArrayUnique,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  MaxLength,
  ValidateBy,
} from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '../../http/openapi-decorators';

export const WEBHOOK_EVENTS = ['start', 'completed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const MAX_INPUT_BYTES = 16 * 1024;

export const MaxSerializedBytes = (limit: number) =>
  ValidateBy({
    name: 'maxSerializedBytes',
    validator: {
      validate: (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? '') <= limit,
      defaultMessage: (args) => `${args?.property ?? 'value'} must be at most ${limit} bytes as JSON`,
    },
  });

export class GenerateRequest {
  @ApiProperty({ minLength: 1, maxLength: 2000, example: 'a red fox in fresh snow, golden hour' })
  @IsString()
  @Length(1, 2000)
  @Matches(/\S/, { message: 'prompt must not be blank' })
  prompt: string;

  @ApiPropertyOptional({
    description: 'Model as `owner/name` or `owner/name:version`; the server default when omitted',
    pattern: MODEL_REFERENCE_PATTERN.source,
    example: 'black-forest-labs/flux-schnell',
  })
  @IsOptional()
  @IsString()
  @Matches(MODEL_REFERENCE_PATTERN, { message: 'model must look like owner/name or owner/name:version' })
  model?: string;

  @ApiPropertyOptional({
    description:
      'Further model inputs, passed to the generator (at most 16 KiB as JSON). The mock generator reads ' +
      '`width` and `height` (16–1024), `num_outputs` (1–4) and `seed`.',
    type: 'object',
    additionalProperties: true,
    example: { width: 512, height: 512, num_outputs: 1, seed: 42 },
  })
  @IsOptional()
  @IsObject()
  @MaxSerializedBytes(MAX_INPUT_BYTES)
  input?: Record<string, unknown>;

  @ApiPropertyOptional({
    description:
      'An https URL that receives signed deliveries (Standard Webhooks) of the job resource when ' +
      'the events in `webhookEvents` happen',
    format: 'uri',
    maxLength: 2048,
    example: 'https://example.com/hooks/mediagen',
  })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @MaxLength(2048)
  webhook?: string;

  @ApiPropertyOptional({
    description: 'Which events to deliver to `webhook` (default `completed`)',
    enum: WEBHOOK_EVENTS,
    enumName: 'WebhookEvent',
    isArray: true,
    example: ['completed'],
  })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENTS, { each: true })
  webhookEvents?: WebhookEvent[];
}
