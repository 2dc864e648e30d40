import { QueueModule } from '@app/queue';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { MetricsModule } from './metrics.module';
import { QueueMetrics } from './queue-metrics';
import { Readiness } from './readiness.service';

/** For the apps: the metrics, plus queue depth metrics and the readiness check (which need the queues). */
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), QueueModule, MetricsModule],
  providers: [QueueMetrics, Readiness],
  exports: [MetricsModule, Readiness],
})
export class ObservabilityModule {}
