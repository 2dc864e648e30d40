import { AppConfigModule, AppLoggerModule } from '@app/config';
import { JobsModule } from '@app/jobs';
import { ObservabilityModule } from '@app/observability';
import { QueueModule } from '@app/queue';
import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { JobsController } from './jobs/jobs.controller';
import { MediaController } from './media/media.controller';
import { OpsController } from './ops/ops.controller';

@Module({
  imports: [AppConfigModule, AppLoggerModule, JobsModule, QueueModule, ObservabilityModule],
  controllers: [JobsController, MediaController, OpsController],
  providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
})
export class ApiModule {}
