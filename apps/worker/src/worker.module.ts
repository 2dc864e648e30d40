import { AppConfigModule, AppLoggerModule } from '@app/config';
import { JobsModule } from '@app/jobs';
import { Module } from '@nestjs/common';
import { GenerationProcessor } from './generation.processor';

@Module({
  imports: [AppConfigModule, AppLoggerModule, JobsModule],
  providers: [GenerationProcessor],
})
export class WorkerModule {}
