/** The persisted vocabulary of a job's lifecycle; the rules for moving between them live in `@app/jobs`. */
export const JOB_STATUSES = ['queued', 'processing', 'succeeded', 'failed', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
