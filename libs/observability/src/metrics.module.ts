import { Module } from '@nestjs/common';
import { HttpMetrics } from './http-metrics';
import { JobMetrics } from './job-metrics';
import { MetricsRegistry } from './metrics-registry';

/**
 * Prometheus metrics only: the registry and the job and HTTP metrics. What a lib that reports
 * needs (the generator, the job domain), without the queues and health checks of ObservabilityModule.
 */
@Module({
  providers: [MetricsRegistry, JobMetrics, HttpMetrics],
  exports: [MetricsRegistry, JobMetrics, HttpMetrics],
})
export class MetricsModule {}
