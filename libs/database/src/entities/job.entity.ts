import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { JobStatus } from './job-status';

export interface JobErrorRecord {
  code: string;
  message: string;
  retryable: boolean;
}

export interface JobWebhookRecord {
  url: string;
  events: string[];
  /**
   * What a delivery carries: the job as the native API shows it (`job`, the default when absent),
   * or the job as a Replicate prediction (`prediction`, for jobs made through the Replicate-compatible routes).
   */
  payload?: 'job' | 'prediction';
}

/**
 * The model's own output with each stored output replaced by `{"$output": n}` (n its index in
 * `outputs`), so the outputs can be given back in the shape the model gave them: one URL, a list,
 * an object holding them. Any JSON value.
 */
export type JobOutputShape = unknown;

export interface JobOutputRecord {
  /** The output's public file name, e.g. `0.png`. */
  file: string;
  /**
   * The name it is kept under in the job's storage folder, e.g. `attempt-2-0.png`: the attempt
   * that wrote it. Absent for outputs published before attempt-named outputs, kept under `file`.
   */
  storedAs?: string;
  contentType: string;
  bytes: number;
  sha256: string;
}

/** How far the running attempt got, as its generator reports it (written at most once a second). */
export interface JobProgressRecord {
  percent: number | null;
  message: string | null;
  /** ISO 8601, from the database clock. */
  updatedAt: string;
}

/** One attempt of a job: when it started and ended (null while it runs) and the error it ended with. */
export interface JobAttemptRecord {
  attempt: number;
  startedAt: string;
  endedAt: string | null;
  error: JobErrorRecord | null;
}

@Entity({ name: 'jobs' })
@Check('jobs_status_check', `"status" IN ('queued', 'processing', 'succeeded', 'failed', 'canceled')`)
@Index('jobs_status_updated_at_idx', ['status', 'updatedAt'])
@Index('jobs_owner_created_at_idx', ['owner', 'createdAt', 'id'])
@Index('jobs_completed_at_idx', ['completedAt'])
@Index('jobs_owner_idempotency_key_uq', ['owner', 'idempotencyKey'], {
  unique: true,
  where: '"idempotency_key" IS NOT NULL',
})
export class JobEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** The API key (by name) that created the job; '' when the service runs without keys. */
  @Column({ type: 'text', default: '' })
  owner: string;

  /** The client's Idempotency-Key, unique per owner while it is kept. */
  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey: string | null;

  /** A digest of the submitted request, to tell a replay from a different request under the same key. */
  @Column({ name: 'request_fingerprint', type: 'text', nullable: true })
  requestFingerprint: string | null;

  @Column({ type: 'jsonb', nullable: true })
  webhook: JobWebhookRecord | null;

  @Column({ type: 'text' })
  status: JobStatus;

  @Column({ type: 'text' })
  prompt: string;

  @Column({ type: 'text' })
  model: string;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  input: Record<string, unknown>;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'max_attempts', type: 'integer' })
  maxAttempts: number;

  @Column({ type: 'jsonb', nullable: true })
  error: JobErrorRecord | null;

  /** The upstream prediction the current or last attempt started, so a retry can resume it. */
  @Column({ name: 'prediction_id', type: 'text', nullable: true })
  predictionId: string | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  outputs: JobOutputRecord[];

  /** Recorded with `outputs`; null before that, and for jobs made before it was recorded. */
  @Column({ name: 'output_shape', type: 'jsonb', nullable: true })
  outputShape: JobOutputShape | null;

  /** The running attempt's progress; null when no attempt runs or it reported none. */
  @Column({ type: 'jsonb', nullable: true })
  progress: JobProgressRecord | null;

  /** Every attempt, oldest first; an attempt handed back (shutdown, outage) stays, with its reason. */
  @Column({ name: 'attempt_history', type: 'jsonb', default: () => "'[]'" })
  attemptHistory: JobAttemptRecord[];

  /** Millisecond precision, like JavaScript dates, so list cursors round-trip exactly. */
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  /** Set when retention deleted the job's media; its outputs are then gone. */
  @Column({ name: 'outputs_expired_at', type: 'timestamptz', nullable: true })
  outputsExpiredAt: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
