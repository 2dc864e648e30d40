import { DatabaseModule } from '@app/database';
import { GeneratorModule } from '@app/generator';
import { MetricsModule } from '@app/observability';
import { QueueModule } from '@app/queue';
import { StorageModule } from '@app/storage';
import { WebhooksModule } from '@app/webhooks';
import { Module } from '@nestjs/common';
import { GenerationService } from './generation.service';
import { JobControlService } from './job-control.service';
import { JobEvents } from './job-events.service';
import { JobFiles } from './job-files.service';
import { JobStreams } from './job-streams.service';
import { JobsService } from './jobs.service';
import { MediaCapabilities } from './media-capabilities';
import { PredictionPresenter } from './prediction-presenter';
import { ReconciliationService } from './reconciliation.service';
import { RetentionService } from './retention.service';

@Module({
  imports: [DatabaseModule, QueueModule, MetricsModule, GeneratorModule, StorageModule, WebhooksModule],
  providers: [
    JobsService,
    JobControlService,
    JobEvents,
    JobFiles,
    JobStreams,
    GenerationService,
    MediaCapabilities,
    PredictionPresenter,
    ReconciliationService,
    RetentionService,
  ],
  exports: [
    JobsService,
    MediaCapabilities,
    PredictionPresenter,
    JobControlService,
    JobStreams,
    GenerationService,
    ReconciliationService,
    RetentionService,
  ],
})
export class JobsModule {}
