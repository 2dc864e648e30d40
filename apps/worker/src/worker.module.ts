import { AppConfigModule } from '@app/config';
import { JobsModule } from '@app/jobs';
import { AppLoggerModule, ObservabilityModule } from '@app/observability';
import { QueueModule } from '@app/queue';
import { WebhooksModule } from '@app/webhooks';
import { Module } from '@nestjs/common';
import { GenerationProcessor } from './generation.processor';
import { GenerationWorker } from './generation.worker';
import { HealthServer } from './health.server';
import { ReconciliationScheduler } from './reconciliation.scheduler';
import { RetentionWorker } from './retention.worker';
import { WebhookProcessor } from './webhook.processor';
import { WebhookWorker } from './webhook.worker';

@Module({
  imports: [AppConfigModule, AppLoggerModule, JobsModule, QueueModule, WebhooksModule, ObservabilityModule],
  providers: [
    GenerationProcessor,
    GenerationWorker,
    ReconciliationScheduler,
    WebhookProcessor,
    WebhookWorker,
    HealthServer,
    RetentionWorker,
  ],
})
export class WorkerModule {}
