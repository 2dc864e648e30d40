import { type DatabaseConfig, databaseConfig } from '@app/config';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { Brackets, IsNull, LessThan, type QueryDeepPartialEntity, type Repository } from 'typeorm';
import type { JobErrorRecord, JobOutputRecord, JobOutputShape, JobProgressRecord } from './entities/job.entity';
import { JobEntity } from './entities/job.entity';
import type { JobStatus } from './entities/job-status';
import {
  INSERTED_COLUMNS,
  type InsertedJobRow,
  JOB_OBJECT,
  type JobRow,
  jobFromInsert,
  jobFromRow,
  type NewJob,
} from './job-row';
import { NamedStatements } from './named-statement';

export interface JobGuard {
  from: readonly JobStatus[];
  /** The change belongs to this attempt: it applies only while the row records it. */
  attempt?: number;
}

export interface JobChange {
  status: JobStatus;
  /** Sets the attempt count; used to give back an attempt that was interrupted before it ran. */
  attempts?: number;
  error?: JobErrorRecord | null;
  outputs?: JobOutputRecord[];
  outputShape?: JobOutputShape;
  predictionId?: string | null;
  /** Sets `started_at` unless an earlier attempt already did. */
  markStarted?: boolean;
  markCompleted?: boolean;
  /**
   * Ends the guard's attempt: closes its open history entry with this error (null when it
   * succeeded) and clears its progress, in the same statement as the change.
   */
  closeAttempt?: { error: JobErrorRecord | null };
}

export interface ProgressChange {
  percent: number | null;
  message: string | null;
}

/** The database clock as an ISO 8601 string with milliseconds, like JavaScript's `toISOString()`. */
const ISO_NOW = `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The attempt history with attempt `attempt`'s open entry (if any) ended now with `error` (a jsonb parameter). */
function historyWithAttemptClosed(attempt: string, error: string): string {
  return `CASE WHEN attempt_history @> jsonb_build_array(jsonb_build_object('attempt', ${attempt}::int, 'endedAt', NULL))
               THEN (SELECT jsonb_agg(
                              CASE WHEN entry->>'attempt' = ${attempt}::text AND entry->'endedAt' = 'null'::jsonb
                                   THEN entry || jsonb_build_object('endedAt', ${ISO_NOW}, 'error', ${error}::jsonb)
                                   ELSE entry END
                              ORDER BY position)
                       FROM jsonb_array_elements(attempt_history) WITH ORDINALITY AS history(entry, position))
               ELSE attempt_history END`;
}

// The fixed hot statements, built once: each is prepared under a name derived from its text.
const INSERT_JOB = `INSERT INTO jobs (owner, prompt, model, input, max_attempts, idempotency_key, request_fingerprint, webhook, status)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued')
  ON CONFLICT DO NOTHING
  RETURNING ${INSERTED_COLUMNS}`;
const SELECT_BY_IDEMPOTENCY_KEY = `SELECT ${JOB_OBJECT} FROM jobs WHERE owner = $1 AND idempotency_key = $2`;
const SELECT_BY_ID = `SELECT ${JOB_OBJECT} FROM jobs WHERE id = $1`;
const SELECT_OWNED = `SELECT ${JOB_OBJECT} FROM jobs WHERE id = $1 AND owner = $2`;
const BEGIN_ATTEMPT = `UPDATE jobs
  SET status = 'processing', attempts = attempts + 1, started_at = COALESCE(started_at, now()),
      attempt_history = attempt_history || jsonb_build_array(jsonb_build_object(
        'attempt', attempts + 1, 'startedAt', ${ISO_NOW}, 'endedAt', NULL, 'error', NULL)),
      progress = NULL,
      updated_at = now()
  WHERE id = $1 AND status = ANY($2::text[]) AND attempts < max_attempts AND outputs = '[]'::jsonb
  RETURNING ${JOB_OBJECT}`;
const RECORD_PROGRESS = `UPDATE jobs
  SET progress = jsonb_build_object('percent', $3::int, 'message', $4::text, 'updatedAt', ${ISO_NOW}),
      updated_at = now()
  WHERE id = $1 AND status = 'processing' AND attempts = $2
  RETURNING progress`;
const CLOSE_ATTEMPT = `UPDATE jobs
  SET attempt_history = ${historyWithAttemptClosed('$2', '$3')},
      progress = CASE WHEN attempts = $2 THEN NULL ELSE progress END,
      updated_at = now()
  WHERE id = $1 AND attempt_history @> jsonb_build_array(jsonb_build_object('attempt', $2::int, 'endedAt', NULL))`;

/**
 * `changeIf`'s UPDATE for each combination of fields it sets, built once: the same text each time
 * also means the same prepared statement, found without rehashing a long new string.
 */
const changeStatements = new Map<string, string>();

function changeStatement(columns: string, attemptParam?: string, historyError?: string): string {
  const closing =
    historyError === undefined
      ? ''
      : `, attempt_history = ${historyWithAttemptClosed(attemptParam as string, historyError)}, progress = NULL`;
  const attempt = attemptParam === undefined ? '' : ` AND attempts = ${attemptParam}`;
  return `UPDATE jobs SET ${columns}${closing} WHERE id = $1 AND status = ANY($2::text[])${attempt} RETURNING ${JOB_OBJECT}`;
}

export interface JobListQuery {
  owner: string;
  statuses?: JobStatus[];
  model?: string;
  createdAfter?: Date;
  createdBefore?: Date;
  /** The last job of the previous page. */
  after?: { createdAt: Date; id: string };
  limit: number;
}

/**
 * Reads and writes job rows. Every state change is a conditional UPDATE that names the states it
 * may start from (and, inside an attempt, the attempt number), so a late or duplicate writer
 * changes nothing instead of overwriting a newer or terminal state.
 *
 * The hot paths (submit, status reads, an attempt's writes) are one plain parameterised statement
 * each, returning the row where it is needed (as one json object, `JOB_OBJECT`), run on TypeORM's
 * own pool and mapped by `jobFromRow`. They are named prepared statements unless DATABASE_PREPARED_STATEMENTS is off
 * or PostgreSQL shows a pooler in between cannot keep them (see NamedStatements). The rest goes
 * through TypeORM.
 */
@Injectable()
export class JobsRepository {
  private readonly logger = new Logger(JobsRepository.name);
  private readonly statements: NamedStatements;

  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    @Inject(databaseConfig.KEY) settings: Pick<DatabaseConfig, 'preparedStatements'>,
  ) {
    this.statements = new NamedStatements(settings.preparedStatements, (error) => {
      this.logger.warn(
        { err: error },
        'PostgreSQL lost a prepared statement (a pooler in transaction mode, such as PgBouncer before 1.21?): ' +
          'statements run unnamed from now on; set DATABASE_PREPARED_STATEMENTS=false',
      );
    });
  }

  /** node-postgres's pool under TypeORM's PostgreSQL driver: same connections, settings and timeouts. */
  private get pool(): Pool {
    return (this.jobs.manager.connection.driver as unknown as { master: Pool }).master;
  }

  private async query<Row extends object>(sql: string, params: unknown[]): Promise<Row[]> {
    const { rows } = await this.statements.run(sql, params, (query) => this.pool.query<Row>(query));
    return rows;
  }

  private async rows(sql: string, params: unknown[]): Promise<JobEntity[]> {
    return (await this.query<{ job: JobRow }>(sql, params)).map(({ job }) => jobFromRow(job));
  }

  private async row(sql: string, params: unknown[]): Promise<JobEntity | null> {
    return (await this.rows(sql, params))[0] ?? null;
  }

  /**
   * Inserts the job unless its owner already has a job under the same idempotency key; the
   * unique index decides, so concurrent duplicates create exactly one row. The existing row is
   * read only when the insert gave way to it.
   */
  async insertOnce(job: NewJob): Promise<{ job: JobEntity; created: boolean }> {
    const [inserted] = await this.query<InsertedJobRow>(INSERT_JOB, [
      job.owner,
      job.prompt,
      job.model,
      JSON.stringify(job.input),
      job.maxAttempts,
      job.idempotencyKey,
      job.requestFingerprint,
      jsonOrNull(job.webhook),
    ]);
    if (inserted) return { job: jobFromInsert(job, inserted), created: true };
    const existing =
      job.idempotencyKey === null ? null : await this.row(SELECT_BY_IDEMPOTENCY_KEY, [job.owner, job.idempotencyKey]);
    if (!existing) throw new Error('Job row vanished right after its insert');
    return { job: existing, created: false };
  }

  /** Frees an idempotency key whose job is older than the keys are kept. */
  async releaseIdempotencyKey(id: string, key: string): Promise<void> {
    await this.jobs.update({ id, idempotencyKey: key }, { idempotencyKey: null });
  }

  findById(id: string): Promise<JobEntity | null> {
    return this.row(SELECT_BY_ID, [id]);
  }

  /** The job if `owner` may see it. */
  findOwned(id: string, owner: string): Promise<JobEntity | null> {
    return this.row(SELECT_OWNED, [id, owner]);
  }

  /** One page of an owner's jobs, newest first, continuing after `after` (keyset pagination). */
  list(query: JobListQuery): Promise<JobEntity[]> {
    const builder = this.jobs
      .createQueryBuilder('job')
      .where('job.owner = :owner', { owner: query.owner })
      .orderBy('job.created_at', 'DESC')
      .addOrderBy('job.id', 'DESC')
      .take(query.limit);
    if (query.statuses?.length) builder.andWhere('job.status IN (:...statuses)', { statuses: query.statuses });
    if (query.model) builder.andWhere('job.model = :model', { model: query.model });
    if (query.createdAfter) builder.andWhere('job.created_at > :createdAfter', { createdAfter: query.createdAfter });
    if (query.createdBefore)
      builder.andWhere('job.created_at < :createdBefore', { createdBefore: query.createdBefore });
    const after = query.after;
    if (after) {
      builder.andWhere(
        new Brackets((keyset) =>
          keyset
            .where('job.created_at < :afterCreatedAt', { afterCreatedAt: after.createdAt })
            .orWhere('(job.created_at = :afterCreatedAt AND job.id < :afterId)', { afterId: after.id }),
        ),
      );
    }
    return builder.getMany();
  }

  /**
   * Starts the next attempt in one statement: moves the job to `processing`, counts the attempt,
   * opens its history entry and clears the previous attempt's progress, unless the job is in none
   * of `from`, has no attempt left, or an attempt of an older release claimed it with its outputs
   * (that attempt's publication must be finished instead). Returns the row as it now is, or null; its
   * `attempts` is the attempt number every later write of this attempt must name.
   */
  beginAttempt(id: string, from: readonly JobStatus[]): Promise<JobEntity | null> {
    return this.row(BEGIN_ATTEMPT, [id, from]);
  }

  /** Ended jobs whose media is still kept, that ended before `cutoff`, oldest first. */
  findWithMediaEndedBefore(cutoff: Date, limit: number): Promise<JobEntity[]> {
    return this.jobs.find({
      where: { completedAt: LessThan(cutoff), outputsExpiredAt: IsNull() },
      order: { completedAt: 'ASC' },
      take: limit,
    });
  }

  /** Records that the job's media was deleted: no outputs any more. */
  async expireOutputs(id: string): Promise<void> {
    await this.jobs.update({ id, outputsExpiredAt: IsNull() }, {
      outputs: [],
      outputsExpiredAt: () => 'now()',
      updatedAt: () => 'now()',
    } as QueryDeepPartialEntity<JobEntity>);
  }

  /** Deletes ended jobs (and their deliveries) that ended before `cutoff`; returns how many. */
  async deleteEndedBefore(cutoff: Date): Promise<number> {
    const result = await this.jobs.delete({ completedAt: LessThan(cutoff) });
    return result.affected ?? 0;
  }

  /** Non-terminal jobs in `status` untouched since `before`, oldest first. */
  findUntouchedSince(status: JobStatus, before: Date, limit: number): Promise<JobEntity[]> {
    return this.jobs.find({
      where: { status, updatedAt: LessThan(before) },
      order: { updatedAt: 'ASC' },
      take: limit,
    });
  }

  /**
   * Applies `change` only while the row matches `guard`; returns whether it did. A guard names
   * the states the change may start from and, inside an attempt, the attempt it belongs to.
   */
  async updateIf(id: string, guard: JobGuard, change: JobChange): Promise<boolean> {
    return (await this.changeIf(id, guard, change)) !== null;
  }

  /** `updateIf` for a caller that goes on with the row: the row as changed, or null when it did not match. */
  changeIf(id: string, guard: JobGuard, change: JobChange): Promise<JobEntity | null> {
    const params: unknown[] = [id, guard.from, change.status];
    const set = (column: string, value: unknown) => `${column} = $${params.push(value)}`;
    const assignments = [
      'status = $3',
      ...(change.attempts !== undefined ? [set('attempts', change.attempts)] : []),
      ...(change.error !== undefined ? [set('error', jsonOrNull(change.error))] : []),
      ...(change.outputs !== undefined ? [set('outputs', JSON.stringify(change.outputs))] : []),
      ...(change.outputShape !== undefined ? [set('output_shape', JSON.stringify(change.outputShape))] : []),
      ...(change.predictionId !== undefined ? [set('prediction_id', change.predictionId)] : []),
      ...(change.markStarted ? ['started_at = COALESCE(started_at, now())'] : []),
      ...(change.markCompleted ? ['completed_at = now()'] : []),
      'updated_at = now()',
    ];
    const attemptParam = guard.attempt === undefined ? undefined : `$${params.push(guard.attempt)}`;
    let historyError: string | undefined;
    if (change.closeAttempt) {
      if (attemptParam === undefined) throw new Error('closeAttempt needs the guard to name the attempt');
      historyError = `$${params.push(JSON.stringify(change.closeAttempt.error))}`;
    }
    const columns = assignments.join(', ');
    const shape = `${columns}|${attemptParam}|${historyError}`;
    let sql = changeStatements.get(shape);
    if (sql === undefined) {
      sql = changeStatement(columns, attemptParam, historyError);
      changeStatements.set(shape, sql);
    }
    return this.row(sql, params);
  }

  /**
   * Records the progress of attempt `attempt` while it runs; never moves the status. Returns the
   * stored progress, or null when the attempt no longer runs.
   */
  async recordProgress(id: string, attempt: number, progress: ProgressChange): Promise<JobProgressRecord | null> {
    const rows = await this.query<{ progress: JobProgressRecord }>(RECORD_PROGRESS, [
      id,
      attempt,
      progress.percent,
      progress.message,
    ]);
    return rows[0]?.progress ?? null;
  }

  /**
   * Closes attempt `attempt`'s open history entry with the error it ended with (null when it
   * succeeded or was canceled), and clears its progress unless a later attempt runs.
   */
  async closeAttempt(id: string, attempt: number, error: JobErrorRecord | null): Promise<void> {
    await this.query(CLOSE_ATTEMPT, [id, attempt, JSON.stringify(error)]);
  }
}

/** A jsonb parameter: SQL NULL for null (not the JSON value `null`). */
function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
