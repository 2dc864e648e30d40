import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, LessThan, type Repository } from 'typeorm';
import type { JobErrorRecord, JobOutputRecord } from './entities/job.entity';
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

export interface NewJob {
  prompt: string;
  model: string;
  input: Record<string, unknown>;
  maxAttempts: number;
}

/**
 * Reads and writes job rows. Every state change is a conditional UPDATE that names the states it
 * may start from (and, inside an attempt, the attempt number), so a late or duplicate writer
 * changes nothing instead of overwriting a newer or terminal state.
 */
@Injectable()
export class JobsRepository {
  constructor(@InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>) {}

  async insert(job: NewJob): Promise<JobEntity> {
    const row = this.jobs.create({
      ...job,
      status: 'queued',
      attempts: 0,
      error: null,
      outputs: [],
      predictionId: null,
    });
    return this.jobs.save(row);
  }

  findById(id: string): Promise<JobEntity | null> {
    return this.jobs.findOneBy({ id });
  }

  /**
   * Starts the next attempt in one statement: moves the job to `processing` and counts the
   * attempt, unless it is in none of `from` or has no attempt left. Returns the attempt number
   * the row now records, which every later write of this attempt must name.
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
      .returning(['attempts'])
      .execute();
    const [row] = result.raw as { attempts: number }[];
    return row ? row.attempts : null;
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
}
