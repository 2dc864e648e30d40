import { AppConfigModule, AppLoggerModule } from '@app/config';
import { JobsModule } from '@app/jobs';
import { QueueModule } from '@app/queue';
import { WebhooksModule } from '@app/webhooks';
import { Module } from '@nestjs/common';
import { GenerationProcessor } from './generation.processor';
import { GenerationWorker } from './generation.worker';
import { ReconciliationScheduler } from './reconciliation.scheduler';
import { WebhookProcessor } from './webhook.processor';
import { WebhookWorker } from './webhook.worker';

@Module({
  imports: [AppConfigModule, AppLoggerModule, JobsModule, QueueModule, WebhooksModule],
  providers: [GenerationProcessor, GenerationWorker, ReconciliationScheduler, WebhookProcessor, WebhookWorker],
})
export class WorkerModule {}
