const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class InvalidMediaKeyError extends Error {
  constructor(key: string) {
    super(`Invalid media key: ${JSON.stringify(key)}`);
    this.name = 'InvalidMediaKeyError';
  }
}

/** True for a plain file or folder name: no separators, no `..`, no leading dot. */
export function isSafeSegment(segment: string): boolean {
  return SEGMENT.test(segment) && !segment.includes('..');
}

/** Joins safe segments into a storage key, refusing anything that could escape the storage root. */
export function mediaKey(...segments: string[]): string {
  const key = segments.join('/');
  if (!segments.every(isSafeSegment)) throw new InvalidMediaKeyError(key);
  return key;
}

export function assertSafeKey(key: string): void {
  if (!key.split('/').every(isSafeSegment)) throw new InvalidMediaKeyError(key);
}

/**
 * The name under which attempt `attempt` writes output `file` in the job's folder
 * (`attempt-2-0.png`). The output stays there: the media route serves it once the job's row lists
 * it, which only the attempt's own guarded write marking the job succeeded does.
 */
export function attemptOutputName(attempt: number, file: string): string {
  return `${attemptNameStart(attempt)}${file}`;
}

/**
 * The start of the keys of what `attempt` wrote (`job-1/attempt-3-`, which `job-1/attempt-30-…`
 * does not start with). For `removeStartingWith`.
 */
export function attemptOutputPrefix(jobId: string, attempt: number): string {
  return mediaKey(jobId, attemptNameStart(attempt));
}

function attemptNameStart(attempt: number): string {
  return `attempt-${attempt}-`;
}

/**
 * Where attempts of releases before attempt-named outputs staged output `file` until they could
 * publish it (move it to `{jobId}/{file}`): a job such a release claimed but did not publish is
 * published from there.
 */
export function stagedKey(jobId: string, attempt: number, file: string): string {
  return mediaKey(jobId, `${STAGED_NAME_START}${attempt}-${file}`);
}

/** The start of the keys of what any attempt of those releases staged. For `removeStartingWith`. */
export function stagingPrefix(jobId: string): string {
  return mediaKey(jobId, STAGED_NAME_START);
}

const STAGED_NAME_START = 'staging-';

/**
 * Where releases before the flat staging layout of `stagedKey` staged an output
 * (`{jobId}/staging/attempt-N/`): a job such a release claimed but did not publish is published
 * from there.
 */
export function legacyStagedKey(jobId: string, attempt: number, file: string): string {
  return mediaKey(jobId, 'staging', `attempt-${attempt}`, file);
}

/** The folder every legacy staged output of a job is in. */
export function legacyStagingFolder(jobId: string): string {
  return mediaKey(jobId, 'staging');
}
