import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { ChunkMeter } from './media-storage';

/**
 * A pass-through stream that counts bytes and computes a SHA-256 digest of what flows through;
 * it fails with the meter's error once the meter refuses a chunk.
 */
export class DigestStream extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly meter?: ChunkMeter) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.meter?.(chunk.length);
    } catch (error) {
      callback(error as Error);
      return;
    }
    this.bytes += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  hex(): string {
    return this.hash.digest('hex');
  }
}
