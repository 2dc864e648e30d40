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
