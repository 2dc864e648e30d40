import { CreateJobs1764043200000 } from './1764043200000-CreateJobs';

/** Every migration, oldest first. Add each new one here after reviewing the generated SQL. */
export const migrations = [CreateJobs1764043200000];
