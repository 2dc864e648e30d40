import { createHash } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, rename, rm, rmdir, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { assertSafeKey, InvalidMediaKeyError } from './media-key';
import { type ChunkMeter, type MediaObject, MediaStorage, type StoredMedia } from './media-storage';

/** Keeps media as files under one root folder (`generated_images/` by default). */
export class LocalMediaStorage extends MediaStorage {
  private readonly root: string;

  constructor(root: string) {
    super();
    this.root = resolve(root);
  }

  async save(key: string, content: Readable, contentType: string, meter?: ChunkMeter): Promise<StoredMedia> {
    const path = this.pathOf(key);
    const digest = createHash('sha256');
    let bytes = 0;
    let file: FileHandle | undefined;
    const chunks = (content as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    // The first chunk is read (an image rendered, a download's first bytes received) while the
    // file is created, rather than after: on a journaled disk creating it takes as long.
    const firstChunk = chunks.next();
    // Awaited below unless creating the file fails first; then the source is destroyed.
    firstChunk.catch(() => undefined);
    try {
      await mkdir(dirname(path), { recursive: true });
      // Written in place, with no temporary file to rename: callers save under keys nothing
      // reads before the save is done (a job lists its outputs only after), and a failed save
      // removes what it wrote.
      file = await open(path, 'w');
      // One file handle and a plain loop rather than a chain of streams: most outputs are a
      // chunk or a few, for which the streams' setup cost more than the write itself.
      for (let next = await firstChunk; !next.done; next = await chunks.next()) {
        const chunk = next.value;
        meter?.(chunk.length);
        digest.update(chunk);
        bytes += chunk.length;
        await file.writeFile(chunk);
      }
      await file.close();
      file = undefined;
    } catch (error) {
      // The source is not read to its end: release it (a download's connection, say).
      content.destroy();
      if (file) {
        await file.close().catch(() => undefined);
        // What it wrote is no object: nothing is left under the key.
        // Stryker disable next-line ObjectLiteral,BooleanLiteral: `force` matters only when the file vanished meanwhile (its attempt's files were removed), which no test can time
        await rm(path, { force: true });
      }
      throw error;
    }
    return { key, contentType, bytes, sha256: digest.digest('hex') };
  }

  async open(key: string): Promise<MediaObject | null> {
    const path = this.pathOf(key);
    try {
      // Size and stream come from one open file, so a concurrent replace cannot mix them up.
      const file = await open(path, 'r');
      const info = await file.stat();
      if (!info.isFile()) {
        await file.close();
        return null;
      }
      return { stream: file.createReadStream(), bytes: info.size };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async directUrl(): Promise<null> {
    return null;
  }

  async move(from: string, to: string): Promise<boolean> {
    const source = this.pathOf(from);
    const target = this.pathOf(to);
    // One rename: atomic, and it replaces what was at `to`. Its folder usually exists already (a
    // job's staged outputs sit in the job's folder), so it is created only when the rename says so.
    let moved = await renameUnlessMissing(source, target);
    if (!moved) {
      // Either nothing is at `from` (moved already) or `to`'s folder is missing: mkdir says which
      // (it returns undefined when the folder was there).
      const created = await mkdir(dirname(target), { recursive: true });
      moved = created !== undefined && (await renameUnlessMissing(source, target));
    }
    if (moved) await this.removeEmptyFolders(dirname(source), target);
    return moved;
  }

  async removeAll(prefix: string): Promise<void> {
    const path = this.pathOf(prefix);
    try {
      await rm(path, { recursive: true });
    } catch (error) {
      // Nothing was there, so no folder above it was emptied.
      if (isMissing(error)) return;
      throw error;
    }
    await this.removeEmptyFolders(dirname(path));
  }

  async removeStartingWith(keyPrefix: string): Promise<void> {
    const path = this.pathOf(keyPrefix);
    const folder = dirname(path);
    const start = basename(path);
    let names: string[];
    try {
      names = (await readdir(folder, { withFileTypes: true }))
        .filter((entry) => entry.isFile() && entry.name.startsWith(start))
        .map((entry) => entry.name);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    // Stryker disable next-line ConditionalExpression: saves an rmdir: without it the climb tries the folder, which holds the published outputs, and stops there all the same
    if (names.length === 0) return;
    await Promise.all(names.map((name) => unlinkUnlessMissing(join(folder, name))));
    await this.removeEmptyFolders(folder);
  }

  /**
   * Folders hold no objects of their own: drop `folder` and its parents once empty, up to the root.
   * A folder that holds `kept` is not empty: the climb stops below it rather than try.
   */
  private async removeEmptyFolders(folder: string, kept = ''): Promise<void> {
    for (let current = folder; current.startsWith(this.root + sep); current = dirname(current)) {
      // Stryker disable next-line ConditionalExpression,MethodExpression: saves a failing rmdir: without it the rmdir of this folder (it holds `kept`) fails and the climb stops here all the same
      if (kept.startsWith(current + sep)) return;
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone): its parents are not empty either
      }
    }
  }

  private pathOf(key: string): string {
    assertSafeKey(key);
    const path = resolve(this.root, key);
    // Stryker disable next-line ConditionalExpression,CallExpression: unreachable after assertSafeKey (no segment can climb out); kept as defence in depth
    if (!path.startsWith(this.root + sep)) throw new InvalidMediaKeyError(key);
    return path;
  }
}

/** Renames `source` to `target`; false when either the source or the target's folder is missing (ENOENT). */
async function renameUnlessMissing(source: string, target: string): Promise<boolean> {
  try {
    await rename(source, target);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

/** Removes a file; one already gone (removed concurrently) is fine. */
async function unlinkUnlessMissing(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
}

/** Whether a file system error says the path (or a folder on it) does not exist. */
function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}
