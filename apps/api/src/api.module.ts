import { AppConfigModule } from '@app/config';
import { JobsModule } from '@app/jobs';
import { AppLoggerModule, ObservabilityModule } from '@app/observability';
import { QueueModule } from '@app/queue';
import { WebhooksModule } from '@app/webhooks';
import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { SubmitRateLimiter } from './http/submit-rate-limiter';
import { JobsController } from './jobs/jobs.controller';
import { MediaController } from './media/media.controller';
import { MediaSecurityHeaders } from './media/media-security-headers';
import { OpsController } from './ops/ops.controller';
import { PredictionsController } from './predictions/predictions.controller';
import { WebhooksController } from './webhooks/webhooks.controller';

@Module({
  imports: [AppConfigModule, AppLoggerModule, JobsModule, QueueModule, ObservabilityModule, WebhooksModule],
  controllers: [JobsController, MediaController, OpsController, PredictionsController, WebhooksController],
  providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }, MediaSecurityHeaders, SubmitRateLimiter],
})
export class ApiModule {}
