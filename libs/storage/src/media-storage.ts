import type { Readable } from 'node:stream';
import type { MediaServing } from './media-serving';

export interface StoredMedia {
  key: string;
  contentType: string;
  bytes: number;
  sha256: string;
}

export interface MediaObject {
  stream: Readable;
  bytes: number;
}

/**
 * Told the size of each chunk of a save before it is stored; by throwing it fails the save (a
 * byte budget, say) with its error.
 */
export type ChunkMeter = (bytes: number) => void;

/** Where generated media lives. Keys are `/`-separated relative paths such as `{jobId}/0.png`. */
export abstract class MediaStorage {
  /**
   * Stores `content` under `key`, replacing any earlier object, and reports its size and digest.
   * Until it resolves, what is under `key` may be incomplete (local disk writes in place): save
   * under keys nothing reads before the save is done. A failed save leaves no part of `content`
   * under `key`.
   */
  abstract save(key: string, content: Readable, contentType: string, meter?: ChunkMeter): Promise<StoredMedia>;

  /** Opens a stored object for reading, or returns null when it does not exist. */
  abstract open(key: string): Promise<MediaObject | null>;

  /**
   * Moves the object at `from` to `to`, replacing any object there; readers of `to` see the old
   * object or the new one, never a mix. Resolves false when nothing is at `from` (say, an earlier
   * call already moved it), so moving again is harmless.
   */
  abstract move(from: string, to: string): Promise<boolean>;

  /** Removes every object under `prefix` (a job's folder); nothing there is fine. */
  abstract removeAll(prefix: string): Promise<void>;

  /**
   * Removes every object directly in the folder of `keyPrefix` whose name starts with its last
   * segment: `job-1/staging-2-` removes `job-1/staging-2-0.png`, not `job-1/0.png` nor anything in
   * a folder below `job-1`. Nothing there is fine.
   */
  abstract removeStartingWith(keyPrefix: string): Promise<void>;

  /**
   * A time-limited URL clients can download the object from directly, answering with the content
   * type and disposition of `serving`; or null when the api should stream it itself (local disk).
   */
  abstract directUrl(key: string, serving: MediaServing): Promise<string | null>;
}
