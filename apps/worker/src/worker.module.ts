import { AppConfigModule, AppLoggerModule } from '@app/config';
import { JobsModule } from '@app/jobs';
import { QueueModule } from '@app/queue';
import { Module } from '@nestjs/common';
import { GenerationProcessor } from './generation.processor';
import { GenerationWorker } from './generation.worker';
import { ReconciliationScheduler } from './reconciliation.scheduler';

@Module({
  imports: [AppConfigModule, AppLoggerModule, JobsModule, QueueModule],
  providers: [GenerationProcessor, GenerationWorker, ReconciliationScheduler],
})
export class WorkerModule {}
