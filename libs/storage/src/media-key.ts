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
 * Where attempt `attempt` of job `jobId` writes its outputs until it may publish them: inside the
 * job's folder, so removing the job removes them too, but under no name the media route serves
 * (published outputs are `{jobId}/{index}.{ext}`). Without `attempt`: the staging of every attempt.
 */
export function stagingPrefix(jobId: string, attempt?: number): string {
  return attempt === undefined ? mediaKey(jobId, 'staging') : mediaKey(jobId, 'staging', `attempt-${attempt}`);
}

/** The staged copy of output `file` of attempt `attempt` (published as `{jobId}/{file}`). */
export function stagedKey(jobId: string, attempt: number, file: string): string {
  return mediaKey(jobId, 'staging', `attempt-${attempt}`, file);
}
