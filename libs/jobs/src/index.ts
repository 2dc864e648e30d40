export { JOB_STATUSES, type JobEntity, type JobErrorRecord, type JobOutputRecord, type JobStatus } from '@app/database';
export { type AttemptInfo, GenerationService } from './generation.service';
export { canTransition, isTerminal, statusesLeadingTo } from './job-lifecycle';
export {
  InvalidJobInputError,
  JobNotFoundError,
  JobsError,
  MediaNotFoundError,
  QueueUnavailableError,
} from './jobs.errors';
export { JobsModule } from './jobs.module';
export { JobsService, type SubmitJobCommand } from './jobs.service';
