import { Transform, type TransformCallback } from 'node:stream';
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

  /** A pass-through stream that fails once the job's outputs together exceed the byte limit. */
  meter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback: TransformCallback) => {
        this.bytes += chunk.length;
        if (this.bytes > this.limits.maxTotalBytes) {
          callback(
            new OutputLimitExceededError(
              'output_too_large',
              `The job's outputs exceed ${this.limits.maxTotalBytes} bytes in total`,
            ),
          );
          return;
        }
        callback(null, chunk);
      },
    });
  }
}
