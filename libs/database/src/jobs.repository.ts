import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, In, IsNull, LessThan, type QueryDeepPartialEntity, type Repository } from 'typeorm';
import type { JobErrorRecord, JobOutputRecord, JobProgressRecord, JobWebhookRecord } from './entities/job.entity';
import { JobEntity } from './entities/job.entity';
import type { JobStatus } from './entities/job-status';

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
  predictionId?: string | null;
  /** Sets `started_at` unless an earlier attempt already did. */
  markStarted?: boolean;
  markCompleted?: boolean;
}

export interface ProgressChange {
  percent: number | null;
  message: string | null;
}

/** The database clock as an ISO 8601 string with milliseconds, like JavaScript's `toISOString()`. */
const ISO_NOW = `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

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
 * Reads and writes job rows. Every state change is a conditional UPDATE that names the states it
 * may start from (and, inside an attempt, the attempt number), so a late or duplicate writer
 * changes nothing instead of overwriting a newer or terminal state.
 */
@Injectable()
export class JobsRepository {
  constructor(@InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>) {}

  /**
   * Inserts the job unless its owner already has a job under the same idempotency key; the
   * unique index decides, so concurrent duplicates create exactly one row.
   */
  async insertOnce(job: NewJob): Promise<{ job: JobEntity; created: boolean }> {
    const result = await this.jobs
      .createQueryBuilder()
      .insert()
      .into(JobEntity)
      // jsonb columns (input, webhook) defeat TypeORM's deep-partial typing; the shape is NewJob's.
      .values({
        ...job,
        status: 'queued',
        attempts: 0,
        error: null,
        outputs: [],
        predictionId: null,
      } as QueryDeepPartialEntity<JobEntity>)
      .orIgnore()
      .returning(['id'])
      .execute();
    const [inserted] = result.raw as { id: string }[];
    const found = inserted
      ? await this.jobs.findOneBy({ id: inserted.id })
      : await this.jobs.findOneBy({ owner: job.owner, idempotencyKey: job.idempotencyKey ?? undefined });
    if (!found) throw new Error('Job row vanished right after its insert');
    return { job: found, created: Boolean(inserted) };
  }

  /** Frees an idempotency key whose job is older than the keys are kept. */
  async releaseIdempotencyKey(id: string, key: string): Promise<void> {
    await this.jobs.update({ id, idempotencyKey: key }, { idempotencyKey: null });
  }

  findById(id: string): Promise<JobEntity | null> {
    return this.jobs.findOneBy({ id });
  }

  /** The job if `owner` may see it. */
  findOwned(id: string, owner: string): Promise<JobEntity | null> {
    return this.jobs.findOneBy({ id, owner });
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
   * Starts the next attempt in one statement: moves the job to `processing` and counts the
   * attempt, unless it is in none of `from`, has no attempt left, or an attempt already claimed
   * it with its outputs (that attempt's publication must be finished instead). Returns the
   * attempt number the row now records, which every later write of this attempt must name.
   */
  async beginAttempt(id: string, from: readonly JobStatus[]): Promise<number | null> {
    const result = await this.jobs
      .createQueryBuilder()
      .update(JobEntity)
      .set({
        status: 'processing',
        attempts: () => 'attempts + 1',
        startedAt: () => 'COALESCE(started_at, now())',
        updatedAt: () => 'now()',
      })
      .where({ id, status: In([...from]) })
      .andWhere('attempts < max_attempts')
      .andWhere(`outputs = '[]'::jsonb`)
      .returning(['attempts'])
      .execute();
    const [row] = result.raw as { attempts: number }[];
    return row ? row.attempts : null;
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
    const query = this.jobs
      .createQueryBuilder()
      .update(JobEntity)
      .set({
        status: change.status,
        ...(change.attempts !== undefined && { attempts: change.attempts }),
        ...(change.error !== undefined && { error: change.error }),
        ...(change.outputs !== undefined && { outputs: change.outputs }),
        ...(change.predictionId !== undefined && { predictionId: change.predictionId }),
        ...(change.markStarted && { startedAt: () => 'COALESCE(started_at, now())' }),
        ...(change.markCompleted && { completedAt: () => 'now()' }),
        updatedAt: () => 'now()',
      })
      .where({ id, status: In([...guard.from]) });
    if (guard.attempt !== undefined) query.andWhere('attempts = :attempt', { attempt: guard.attempt });
    const result = await query.execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Opens attempt `attempt`'s history entry and clears the previous attempt's progress, while
   * that attempt runs (the same guard as every write of an attempt).
   */
  async openAttempt(id: string, attempt: number): Promise<boolean> {
    const [, affected] = (await this.jobs.query(
      `UPDATE jobs
          SET attempt_history = attempt_history || jsonb_build_array(jsonb_build_object(
                'attempt', $2::int, 'startedAt', ${ISO_NOW}, 'endedAt', NULL, 'error', NULL)),
              progress = NULL,
              updated_at = now()
        WHERE id = $1 AND status = 'processing' AND attempts = $2`,
      [id, attempt],
    )) as [unknown, number];
    return affected > 0;
  }

  /**
   * Records the progress of attempt `attempt` while it runs; never moves the status. Returns the
   * stored progress, or null when the attempt no longer runs.
   */
  async recordProgress(id: string, attempt: number, progress: ProgressChange): Promise<JobProgressRecord | null> {
    const [rows] = (await this.jobs.query(
      `UPDATE jobs
          SET progress = jsonb_build_object('percent', $3::int, 'message', $4::text, 'updatedAt', ${ISO_NOW}),
              updated_at = now()
        WHERE id = $1 AND status = 'processing' AND attempts = $2
        RETURNING progress`,
      [id, attempt, progress.percent, progress.message],
    )) as [{ progress: JobProgressRecord }[], number];
    return rows[0]?.progress ?? null;
  }

  /**
   * Closes attempt `attempt`'s open history entry with the error it ended with (null when it
   * succeeded or was canceled), and clears its progress unless a later attempt runs.
   */
  async closeAttempt(id: string, attempt: number, error: JobErrorRecord | null): Promise<void> {
    await this.jobs.query(
      `UPDATE jobs
          SET attempt_history = (
                SELECT jsonb_agg(
                         CASE WHEN entry->>'attempt' = $2::text AND entry->'endedAt' = 'null'::jsonb
                              THEN entry || jsonb_build_object('endedAt', ${ISO_NOW}, 'error', $3::jsonb)
                              ELSE entry END
                         ORDER BY position)
                  FROM jsonb_array_elements(attempt_history) WITH ORDINALITY AS history(entry, position)),
              progress = CASE WHEN attempts = $2 THEN NULL ELSE progress END,
              updated_at = now()
        WHERE id = $1 AND attempt_history @> jsonb_build_array(jsonb_build_object('attempt', $2::int, 'endedAt', NULL))`,
      [id, attempt, JSON.stringify(error)],
    );
  }
}
