import { OutputLimitExceededError } from './jobs.errors';

export interface JobOutputLimits {
  maxCount: number;
  maxTotalBytes: number;
}

/**
 * The one place where what a job may keep is enforced: at most `maxCount` outputs and
 * `maxTotalBytes` over all of them (each file is also capped on download, by MAX_OUTPUT_BYTES).
 * Bytes are counted as they stream into storage, so an oversized job stops at the limit.
 */
export class OutputBudget {
  private bytes = 0;

  constructor(private readonly limits: JobOutputLimits) {}

  /** Throws when `count` outputs are more than a job may keep. */
  checkCount(count: number): void {
    if (count > this.limits.maxCount) {
      throw new OutputLimitExceededError(
        'too_many_outputs',
        `The model returned ${count} outputs; a job keeps at most ${this.limits.maxCount}`,
      );
    }
  }

  /**
   * Counts `bytes` more of the job's outputs (a chunk on its way into storage: a ChunkMeter);
   * throws once they together exceed the byte limit.
   */
  readonly count = (bytes: number): void => {
    this.bytes += bytes;
    if (this.bytes > this.limits.maxTotalBytes) {
      throw new OutputLimitExceededError(
        'output_too_large',
        `The job's outputs exceed ${this.limits.maxTotalBytes} bytes in total`,
      );
    }
  };
}
