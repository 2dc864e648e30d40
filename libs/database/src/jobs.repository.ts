import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import type { JobErrorRecord, JobOutputRecord } from './entities/job.entity';
import { JobEntity } from './entities/job.entity';
import type { JobStatus } from './entities/job-status';

export interface JobGuard {
  from: readonly JobStatus[];
  /** The change belongs to this attempt: it applies only while the row records it. */
  attempt?: number;
  /** The change starts attempt N: it applies only while the row records fewer attempts. */
  attemptsBelow?: number;
}

export interface JobChange {
  status: JobStatus;
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
    if (guard.attemptsBelow !== undefined) query.andWhere('attempts < :below', { below: guard.attemptsBelow });
    const result = await query.execute();
    return (result.affected ?? 0) > 0;
  }
}
