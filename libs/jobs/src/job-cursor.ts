import { isAcceptedInstant } from './instant-range';
import { InvalidCursorError } from './jobs.errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An opaque page cursor: the (createdAt, id) of the last job on the page. */
export function encodeCursor(job: { createdAt: Date; id: string }): string {
  return Buffer.from(`${job.createdAt.toISOString()}|${job.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [timestamp, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(timestamp);
  if (!id || !UUID.test(id) || !isAcceptedInstant(createdAt)) throw new InvalidCursorError();
  return { createdAt, id };
}
