import type {
  JobAttemptRecord,
  JobEntity,
  JobErrorRecord,
  JobOutputRecord,
  JobOutputShape,
  JobProgressRecord,
  JobWebhookRecord,
} from './entities/job.entity';
import type { JobStatus } from './entities/job-status';

/**
 * A `jobs` row as the hot statements return it: the one json column `JOB_OBJECT`, parsed (jsonb
 * columns nested as they are, timestamps as PostgreSQL writes them in JSON: ISO 8601 with offset).
 */
export interface JobRow {
  id: string;
  owner: string;
  idempotency_key: string | null;
  request_fingerprint: string | null;
  webhook: JobWebhookRecord | null;
  status: JobStatus;
  prompt: string;
  model: string;
  input: Record<string, unknown>;
  attempts: number;
  max_attempts: number;
  error: JobErrorRecord | null;
  prediction_id: string | null;
  outputs: JobOutputRecord[];
  output_shape: JobOutputShape | null;
  progress: JobProgressRecord | null;
  attempt_history: JobAttemptRecord[];
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  outputs_expired_at: string | null;
  updated_at: string;
}

/**
 * Every column of `jobs`, named rather than `*`: a column a later migration adds does not change
 * what a statement returns, so a connection's prepared statements stay valid across the migration
 * (PostgreSQL refuses to run a prepared `*` whose result columns changed).
 */
export const JOB_COLUMNS = [
  'id',
  'owner',
  'idempotency_key',
  'request_fingerprint',
  'webhook',
  'status',
  'prompt',
  'model',
  'input',
  'attempts',
  'max_attempts',
  'error',
  'prediction_id',
  'outputs',
  'output_shape',
  'progress',
  'attempt_history',
  'created_at',
  'started_at',
  'completed_at',
  'outputs_expired_at',
  'updated_at',
];

/**
 * The row as one json object (`job`), which the hot statements select or return instead of the
 * columns: node-postgres then describes and parses one column instead of 22 per statement (a
 * status read's client CPU in the database driver fell by about a third), and `JSON.parse` reads
 * the whole row, jsonb columns included, at once. The columns stay named, for the reason above.
 */
export const JOB_OBJECT = `json_build_object(${JOB_COLUMNS.map((column) => `'${column}', ${column}`).join(', ')}) AS job`;

/**
 * The one place where a `jobs` row read with plain SQL (the hot paths of JobsRepository) becomes a
 * JobEntity. Its spec checks it against the entity's TypeORM columns, so the two cannot drift.
 */
export function jobFromRow(row: JobRow): JobEntity {
  return {
    id: row.id,
    owner: row.owner,
    idempotencyKey: row.idempotency_key,
    requestFingerprint: row.request_fingerprint,
    webhook: row.webhook,
    status: row.status,
    prompt: row.prompt,
    model: row.model,
    input: row.input,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    error: row.error,
    predictionId: row.prediction_id,
    outputs: row.outputs,
    outputShape: row.output_shape,
    progress: row.progress,
    attemptHistory: row.attempt_history,
    createdAt: new Date(row.created_at),
    startedAt: dateOrNull(row.started_at),
    completedAt: dateOrNull(row.completed_at),
    outputsExpiredAt: dateOrNull(row.outputs_expired_at),
    updatedAt: new Date(row.updated_at),
  };
}

function dateOrNull(timestamp: string | null): Date | null {
  return timestamp === null ? null : new Date(timestamp);
}

export interface NewJob {
  owner: string;
  prompt: string;
  model: string;
  input: Record<string, unknown>;
  maxAttempts: number;
  idempotencyKey: string | null;
  requestFingerprint: string | null;
  webhook: JobWebhookRecord | null;
}

/**
 * What the database decides when it inserts a job; the rest of the new row is the insert's own
 * values and the columns' defaults, so the insert returns only these (a third of its client CPU
 * went to describing and parsing the whole row).
 */
export const INSERTED_COLUMNS = 'id, created_at, updated_at';

export interface InsertedJobRow {
  id: string;
  created_at: Date;
  updated_at: Date;
}

/**
 * The JobEntity that inserting `job` stored: what `jobFromRow` would read back at once. An e2e
 * spec (job lifecycle) checks the two agree, so a changed column default cannot drift from it.
 */
export function jobFromInsert(job: NewJob, row: InsertedJobRow): JobEntity {
  return {
    id: row.id,
    owner: job.owner,
    idempotencyKey: job.idempotencyKey,
    requestFingerprint: job.requestFingerprint,
    webhook: job.webhook,
    status: 'queued',
    prompt: job.prompt,
    model: job.model,
    input: job.input,
    attempts: 0,
    maxAttempts: job.maxAttempts,
    error: null,
    predictionId: null,
    outputs: [],
    outputShape: null,
    progress: null,
    attemptHistory: [],
    createdAt: row.created_at,
    startedAt: null,
    completedAt: null,
    outputsExpiredAt: null,
    updatedAt: row.updated_at,
  };
}
