export { buildDataSourceOptions, type DatabaseConnectionSettings } from './data-source.options';
export { DatabaseModule } from './database.module';
export { isDatabaseUnavailable } from './database-availability';
export { ensureDatabaseExists } from './ensure-database';
export { JobEntity, type JobErrorRecord, type JobOutputRecord, type JobWebhookRecord } from './entities/job.entity';
export { JOB_STATUSES, type JobStatus } from './entities/job-status';
export { type JobChange, type JobGuard, type JobListQuery, JobsRepository, type NewJob } from './jobs.repository';
export { migrate } from './migrate';
