export { buildDataSourceOptions, type DatabaseConnectionSettings } from './data-source.options';
export { DatabaseModule } from './database.module';
export { isDatabaseUnavailable } from './database-availability';
export { ensureDatabaseExists } from './ensure-database';
export { JobEntity, type JobErrorRecord, type JobOutputRecord } from './entities/job.entity';
export { JOB_STATUSES, type JobStatus } from './entities/job-status';
export { type JobChange, type JobGuard, JobsRepository, type NewJob } from './jobs.repository';
export { migrate } from './migrate';
