import type { JobOutputRecord } from '@app/database';
import { mediaKey } from '@app/storage';

/** Where the storage keeps one of a job's outputs. */
export function outputKey(jobId: string, output: JobOutputRecord): string {
  // Releases before attempt-named outputs moved each output to its file name.
  return mediaKey(jobId, output.storedAs ?? output.file);
}
