import { AppConfigModule, AppLoggerModule } from '@app/config';
import { JobsModule } from '@app/jobs';
import { QueueModule } from '@app/queue';
import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { JobsController } from './jobs/jobs.controller';
import { MediaController } from './media/media.controller';

@Module({
  imports: [AppConfigModule, AppLoggerModule, JobsModule, QueueModule],
  controllers: [JobsController, MediaController],
  providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
})
export class ApiModule {}
