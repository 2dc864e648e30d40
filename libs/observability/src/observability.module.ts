import { QueueModule } from '@app/queue';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HttpMetrics } from './http-metrics';
import { JobMetrics } from './job-metrics';
import { MetricsRegistry } from './metrics-registry';
import { QueueMetrics } from './queue-metrics';
import { Readiness } from './readiness.service';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), QueueModule],
  providers: [MetricsRegistry, JobMetrics, QueueMetrics, HttpMetrics, Readiness],
  exports: [MetricsRegistry, JobMetrics, HttpMetrics, Readiness],
})
export class ObservabilityModule {}
