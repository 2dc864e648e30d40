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
 * Where attempt `attempt` of job `jobId` keeps output `file` until it may publish it: in the job's
 * folder beside the published outputs, so removing the job removes it too and staging needs no
 * folders of its own, under a name the media route never serves (it serves the `{index}.{ext}`
 * files the job's row lists).
 */
export function stagedKey(jobId: string, attempt: number, file: string): string {
  return mediaKey(jobId, `${stagedNameStart(attempt)}${file}`);
}

/**
 * The start of the keys of what `attempt` staged (`job-1/staging-3-`, which `job-1/staging-30-…`
 * does not start with); without `attempt`, of what any attempt staged. For `removeStartingWith`.
 */
export function stagingPrefix(jobId: string, attempt?: number): string {
  return mediaKey(jobId, stagedNameStart(attempt));
}

function stagedNameStart(attempt?: number): string {
  return attempt === undefined ? 'staging-' : `staging-${attempt}-`;
}

/**
 * Where releases before the flat staging layout staged an output (`{jobId}/staging/attempt-N/`):
 * a job such a release claimed but did not publish is published from there.
 */
export function legacyStagedKey(jobId: string, attempt: number, file: string): string {
  return mediaKey(jobId, 'staging', `attempt-${attempt}`, file);
}

/** The folder every legacy staged output of a job is in. */
export function legacyStagingFolder(jobId: string): string {
  return mediaKey(jobId, 'staging');
}
