import { pipeline } from 'node:stream';
import type { JobOutputRecord } from '@app/database';
import type { GeneratedMedia } from '@app/generator';
import { legacyStagedKey, legacyStagingFolder, MediaStorage, mediaKey, stagedKey, stagingPrefix } from '@app/storage';
import { Injectable } from '@nestjs/common';
import type { OutputBudget } from './output-budget';

/**
 * The one place where a job's files are written, published and removed. An attempt writes its
 * outputs under its own staged names, which no media URL reaches; only the attempt that claimed
 * the job's row publishes them (moves them to `{jobId}/{file}`), and whatever any other attempt
 * wrote is removed. So a stale attempt can never overwrite or add to the files of the job.
 */
@Injectable()
export class JobFiles {
  constructor(private readonly storage: MediaStorage) {}

  /** Writes output number `index` of `attempt` under its staged name, within the job's budget. */
  async stage(
    jobId: string,
    attempt: number,
    index: number,
    media: GeneratedMedia,
    budget: OutputBudget,
  ): Promise<JobOutputRecord> {
    const file = `${index}.${media.extension}`;
    // The meter fails (and so fails the save) once the job's outputs outgrow the budget.
    const metered = pipeline(media.content, budget.meter(), () => undefined);
    const stored = await this.storage.save(stagedKey(jobId, attempt, file), metered, media.contentType);
    return { file, contentType: stored.contentType, bytes: stored.bytes, sha256: stored.sha256 };
  }

  /**
   * Moves the staged outputs of `attempt` into place, then drops every attempt's staging.
   * Idempotent: outputs moved by an earlier, interrupted call are skipped.
   */
  async publish(jobId: string, attempt: number, outputs: JobOutputRecord[]): Promise<void> {
    let stagedByLegacyRelease = false;
    for (const { file } of outputs) {
      const target = mediaKey(jobId, file);
      if (await this.storage.move(stagedKey(jobId, attempt, file), target)) continue;
      // A release before the flat layout staged it (its worker claimed the job, then stopped).
      if (await this.storage.move(legacyStagedKey(jobId, attempt, file), target)) stagedByLegacyRelease = true;
    }
    await this.discardStaging(jobId);
    if (stagedByLegacyRelease) await this.storage.removeAll(legacyStagingFolder(jobId));
  }

  /** Removes what `attempt` staged. */
  async discardAttempt(jobId: string, attempt: number): Promise<void> {
    await this.storage.removeStartingWith(stagingPrefix(jobId, attempt));
  }

  /** Removes what every attempt staged, published outputs excepted. */
  async discardStaging(jobId: string): Promise<void> {
    await this.storage.removeStartingWith(stagingPrefix(jobId));
  }

  /** Removes every file of the job (it failed or was canceled). */
  async discardAll(jobId: string): Promise<void> {
    await this.storage.removeAll(jobId);
  }
}
