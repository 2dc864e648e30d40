export {
  DELIVERY_STATUSES,
  type DeliveryStatus,
  isDatabaseUnavailable,
  JOB_STATUSES,
  type JobEntity,
  type JobErrorRecord,
  type JobOutputRecord,
  type JobProgressRecord,
  type JobStatus,
  type WebhookDeliveryEntity,
} from '@app/database';
// The generator port's abort reasons and the storage's serving policy, for the apps: they reach
// adapters only through the job domain.
export { ABORT_REASONS } from '@app/generator';
export { type MediaServing, mediaServing, SERVED_CONTENT_TYPES } from '@app/storage';
export { isFinalAttempt } from './attempt-policy';
export { type AttemptContext, GenerationService } from './generation.service';
export { decideOutageWait, isInfrastructureUnavailable, type OutageDecision } from './infrastructure-outage';
export { isAcceptedInstant } from './instant-range';
export { JobControlService, MAX_WAIT_SECONDS } from './job-control.service';
export { canTransition, isTerminal, statusesLeadingTo } from './job-lifecycle';
export { type JobView, presentJob } from './job-presenter';
export type { JobStreamEvent } from './job-stream-events';
export { type JobStreamSink, JobStreams } from './job-streams.service';
// Every error of the job domain is part of its interface (the api maps each one to a problem).
export * from './jobs.errors';
export { JobsModule } from './jobs.module';
export {
  type JobPage,
  JobsService,
  type ListJobsQuery,
  type SubmitJobCommand,
  type SubmitResult,
} from './jobs.service';
export { MediaCapabilities } from './media-capabilities';
export {
  PREDICTION_STATUS,
  PredictionPresenter,
  type PredictionStatus,
  type PredictionView,
} from './prediction-presenter';
export {
  DEFAULT_PREDICTION_WEBHOOK_EVENTS,
  MAX_PROMPT_LENGTH,
  modelForVersion,
  PREDICTION_WEBHOOK_EVENTS,
  type PredictionWebhookEvent,
  splitPredictionInput,
} from './prediction-request';
export { ReconciliationService, type SweepReport } from './reconciliation.service';
export { type RetentionReport, RetentionService } from './retention.service';
export { StartupError, type StartupReporter, waitForInfrastructure } from './startup-checks';
