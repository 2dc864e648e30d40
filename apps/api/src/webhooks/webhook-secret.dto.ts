import type { ReadableSecrets } from '@app/webhooks';
import { ApiProperty } from '../http/openapi-decorators';

export class WebhookSecretResponse implements ReadableSecrets {
  @ApiProperty({
    description:
      "This API key's Standard Webhooks secret: verify deliveries of its jobs with it " +
      '(derived from the newest server secret)',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw7fSW8ly7vzY=',
  })
  secret: string;

  @ApiProperty({
    description:
      'Every secret deliveries are signed with now, one `v1,` signature each; more than one while ' +
      'the operator rotates WEBHOOK_SECRETS (the last is `secret`)',
    type: [String],
  })
  secrets: string[];
}
