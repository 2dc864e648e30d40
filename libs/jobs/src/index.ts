export {
  isDatabaseUnavailable,
  JOB_STATUSES,
  type JobEntity,
  type JobErrorRecord,
  type JobOutputRecord,
  type JobStatus,
} from '@app/database';
export { type AttemptContext, GenerationService } from './generation.service';
export { canTransition, isTerminal, statusesLeadingTo } from './job-lifecycle';
export {
  AttemptInterruptedError,
  InvalidJobInputError,
  JobNotFoundError,
  JobsError,
  MediaNotFoundError,
} from './jobs.errors';
export { JobsModule } from './jobs.module';
export { JobsService, type SubmitJobCommand } from './jobs.service';
export { ReconciliationService, type SweepReport } from './reconciliation.service';
