import { WebhookSecrets } from '@app/webhooks';
import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, Owner } from '../http/api-key.guard';
import { ApiProblemResponses } from '../http/api-problem-responses';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '../http/openapi-decorators';
import { ProblemDetails } from '../http/problem-details';
import { WebhookSecretResponse } from './webhook-secret.dto';

const problemContent = { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetails) } } };

@ApiTags('webhooks')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly secrets: WebhookSecrets) {}

  @Get('secret')
  @ApiOperation({
    summary: "Read this API key's webhook signing secret",
    description:
      'Deliveries for the jobs of an API key are signed with secrets only that key can read here, ' +
      'so no other client of the API can forge them. Verify with any Standard Webhooks library.',
  })
  @ApiOkResponse({ type: WebhookSecretResponse })
  @ApiResponse({
    status: 403,
    description:
      'The API runs without keys (open mode): deliveries are signed with WEBHOOK_SECRETS itself, which is ' +
      'never served over HTTP (`webhook_secret_not_served`)',
    content: problemContent,
  })
  @ApiResponse({
    status: 404,
    description: 'Webhooks are off: WEBHOOK_SECRETS is unset (`webhooks_disabled`)',
    content: problemContent,
  })
  @ApiProblemResponses(401)
  getWebhookSecret(@Owner() owner: string): WebhookSecretResponse {
    return this.secrets.readableBy(owner);
  }
}
