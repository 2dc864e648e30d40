export { AppLogger, type AppLoggerSettings, createPino } from './app-logger';
export { BoundLogger } from './bound-logger';
export { HttpMetrics } from './http-metrics';
export { type FinishedJob, JobMetrics } from './job-metrics';
export { AppLoggerModule } from './logger.module';
export { MetricsModule } from './metrics.module';
export { MetricsRegistry } from './metrics-registry';
export { ObservabilityModule } from './observability.module';
export { type HealthReport, Readiness } from './readiness.service';
export { currentRequestId, runInRequest } from './request-context';
export {
  apiReadyLine,
  type HealthListening,
  localUrl,
  QuietFrameworkLogger,
  startupFailure,
  startupLogger,
  workerReadyLine,
} from './startup';
