export { buildDataSourceOptions, type DatabaseConnectionSettings } from './data-source.options';
export { DatabaseModule } from './database.module';
export { isDatabaseUnavailable } from './database-availability';
export { type DatabaseState, databaseAddress, inspectDatabase } from './database-preflight';
export { ensureDatabaseExists } from './ensure-database';
export {
  type JobAttemptRecord,
  JobEntity,
  type JobErrorRecord,
  type JobOutputRecord,
  type JobOutputShape,
  type JobProgressRecord,
  type JobWebhookRecord,
} from './entities/job.entity';
export { JOB_STATUSES, type JobStatus } from './entities/job-status';
export { DELIVERY_STATUSES, type DeliveryStatus, WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
export { jobFromInsert, type NewJob } from './job-row';
export {
  type JobChange,
  type JobGuard,
  type JobListQuery,
  JobsRepository,
  type ProgressChange,
} from './jobs.repository';
export { migrate } from './migrate';
export { type DeliveryAttempt, type NewDelivery, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
