import type { JobOutputRecord } from '@app/database';
import type { GeneratedMedia } from '@app/generator';
import {
  attemptOutputName,
  attemptOutputPrefix,
  legacyStagedKey,
  legacyStagingFolder,
  MediaStorage,
  mediaKey,
  stagedKey,
  stagingPrefix,
} from '@app/storage';
import { Injectable } from '@nestjs/common';
import type { OutputBudget } from './output-budget';

/**
 * The one place where a job's files are written and removed. Each attempt writes its outputs in
 * the job's folder under names of its own (`attempt-2-0.png`), and they stay there: the media
 * route serves only the files the job's row lists, which the attempt's guarded write marking the
 * job succeeded records. So a stale attempt can never overwrite or add to the files of a job, and
 * whatever an attempt that did not succeed wrote is removed.
 */
@Injectable()
export class JobFiles {
  constructor(private readonly storage: MediaStorage) {}

  /** Writes output number `index` of `attempt` under the attempt's name for it, within the job's budget. */
  async save(
    jobId: string,
    attempt: number,
    index: number,
    media: GeneratedMedia,
    budget: OutputBudget,
  ): Promise<JobOutputRecord> {
    const file = `${index}.${media.extension}`;
    const storedAs = attemptOutputName(attempt, file);
    // The budget fails the save once the job's outputs outgrow it.
    const stored = await this.storage.save(mediaKey(jobId, storedAs), media.content, media.contentType, budget.count);
    return { file, storedAs, contentType: stored.contentType, bytes: stored.bytes, sha256: stored.sha256 };
  }

  /**
   * Publishes outputs that a release before attempt-named outputs staged and claimed, then stopped
   * before it moved them into place: moves them to their file names and drops every attempt's
   * staging. Idempotent: outputs moved by an earlier, interrupted call are skipped.
   */
  async publishClaimed(jobId: string, attempt: number, outputs: JobOutputRecord[]): Promise<void> {
    let stagedInFolder = false;
    for (const { file } of outputs) {
      const target = mediaKey(jobId, file);
      if (await this.storage.move(stagedKey(jobId, attempt, file), target)) continue;
      // Staged by a release before the flat staging layout.
      if (await this.storage.move(legacyStagedKey(jobId, attempt, file), target)) stagedInFolder = true;
    }
    await this.storage.removeStartingWith(stagingPrefix(jobId));
    if (stagedInFolder) await this.storage.removeAll(legacyStagingFolder(jobId));
  }

  /** Removes what `attempt` wrote. */
  async discardAttempt(jobId: string, attempt: number): Promise<void> {
    await this.storage.removeStartingWith(attemptOutputPrefix(jobId, attempt));
  }

  /**
   * Removes what attempts before `attempt` left behind: they remove their own files when they
   * fail, so only those whose worker died (or a release before this one) leave any.
   */
  async discardEarlierAttempts(jobId: string, attempt: number): Promise<void> {
    // The first attempt has nobody's leftovers to look for.
    if (attempt === 1) return;
    for (let earlier = 1; earlier < attempt; earlier += 1) await this.discardAttempt(jobId, earlier);
    await this.storage.removeStartingWith(stagingPrefix(jobId));
  }

  /** Removes every file of the job (it failed or was canceled). */
  async discardAll(jobId: string): Promise<void> {
    await this.storage.removeAll(jobId);
  }
}
