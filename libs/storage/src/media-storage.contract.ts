import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { InvalidMediaKeyError } from './media-key';
import type { MediaStorage } from './media-storage';

export interface MediaStorageUnderTest {
  storage: MediaStorage;
  teardown(): Promise<void>;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Yields `chunks` one at a time, as a network source would. */
function slowly(chunks: Buffer[]): Readable {
  return Readable.from(
    (async function* () {
      for (const chunk of chunks) {
        yield chunk;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })(),
  );
}

/** Sends half an image, then fails as a dropped upstream connection would. */
export function failingSource(): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.from('the first half of an image');
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error('upstream connection reset');
    })(),
  );
}

/**
 * Behaviour every `MediaStorage` adapter must have. `setup` runs before each test and gets a fresh (or
 * emptied) storage; each test also uses its own random job id, so a shared backend does not leak state.
 */
export function describeMediaStorageContract(name: string, setup: () => Promise<MediaStorageUnderTest>): void {
  describe(`${name} honours the MediaStorage contract`, () => {
    let storage: MediaStorage;
    let teardown: () => Promise<void>;
    let job: string;

    beforeEach(async () => {
      ({ storage, teardown } = await setup());
      job = randomUUID();
    });

    afterEach(async () => {
      await teardown();
    });

    /** Opens `key` and reads it fully, failing the test when it is missing. */
    async function readStored(key: string): Promise<Buffer> {
      const opened = await storage.open(key);
      if (opened === null) throw new Error(`expected ${key} to be stored`);
      return readAll(opened.stream);
    }

    /** The size `open` reports for `key`, or null when it is missing; the stream is closed unread. */
    async function reportedSize(key: string): Promise<number | null> {
      const opened = await storage.open(key);
      opened?.stream.destroy();
      return opened?.bytes ?? null;
    }

    const save = (key: string, text: string) => storage.save(key, Readable.from([Buffer.from(text)]), 'image/png');

    describe('save and open', () => {
      it('stores a small stream and reads it back byte for byte', async () => {
        const chunks = [Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(70_000, 7), Buffer.from('tail')];
        const expected = Buffer.concat(chunks);

        await storage.save(`${job}/0.png`, slowly(chunks), 'image/png');

        expect((await readStored(`${job}/0.png`)).equals(expected)).toBe(true);
        expect(await reportedSize(`${job}/0.png`)).toBe(expected.length);
      });

      it('stores a ~3 MiB stream of many chunks byte for byte, with its size and SHA-256', async () => {
        const chunks = Array.from({ length: 48 }, () => randomBytes(64 * 1024));
        chunks.push(randomBytes(12_345));
        const expected = Buffer.concat(chunks);

        const stored = await storage.save(`${job}/big.webp`, slowly(chunks), 'image/webp');

        expect(stored).toEqual({
          key: `${job}/big.webp`,
          contentType: 'image/webp',
          bytes: expected.length,
          sha256: sha256(expected),
        });
        const read = await readStored(`${job}/big.webp`);
        expect(read.length).toBe(expected.length);
        expect(sha256(read)).toBe(sha256(expected));
        expect(await reportedSize(`${job}/big.webp`)).toBe(expected.length);
      });

      it('reports the key, content type, size and SHA-256 of what it stored', async () => {
        const chunks = [Buffer.from('hello '), Buffer.from('media '), Buffer.from('world')];
        const expected = Buffer.concat(chunks);

        const stored = await storage.save(`${job}/1.webp`, slowly(chunks), 'image/webp');

        expect(stored).toEqual({
          key: `${job}/1.webp`,
          contentType: 'image/webp',
          bytes: expected.length,
          sha256: sha256(expected),
        });
      });

      it('stores an empty stream as zero bytes with the digest of nothing', async () => {
        const stored = await storage.save(`${job}/empty.png`, Readable.from([]), 'image/png');

        expect(stored.bytes).toBe(0);
        expect(stored.sha256).toBe(sha256(Buffer.alloc(0)));
        expect(await reportedSize(`${job}/empty.png`)).toBe(0);
      });

      it('replaces an earlier object saved under the same key', async () => {
        await save(`${job}/0.png`, 'first version, rather long');
        const second = await save(`${job}/0.png`, 'second');

        expect((await readStored(`${job}/0.png`)).toString()).toBe('second');
        expect(second.bytes).toBe(6);
        expect(await reportedSize(`${job}/0.png`)).toBe(6);
      });

      it('returns null when opening a key that was never saved', async () => {
        await expect(storage.open(`${job}/0.png`)).resolves.toBeNull();
      });

      it('returns null when opening a job folder rather than an object', async () => {
        await save(`${job}/0.png`, 'x');

        await expect(storage.open(job)).resolves.toBeNull();
      });
    });

    describe('removeAll', () => {
      it("removes every object under a job's prefix and leaves other jobs alone", async () => {
        const other = randomUUID();
        const lookalike = `${job}-2`; // shares the job id as a string prefix, but is another folder
        await save(`${job}/0.png`, 'a');
        await save(`${job}/1.png`, 'b');
        await save(`${job}/thumbs/0.png`, 'c');
        await save(`${other}/0.png`, 'other');
        await save(`${lookalike}/0.png`, 'lookalike');

        await storage.removeAll(job);

        for (const key of [`${job}/0.png`, `${job}/1.png`, `${job}/thumbs/0.png`]) {
          await expect(storage.open(key)).resolves.toBeNull();
        }
        expect((await readStored(`${other}/0.png`)).toString()).toBe('other');
        expect((await readStored(`${lookalike}/0.png`)).toString()).toBe('lookalike');
      });

      it('is fine when there is nothing under the prefix', async () => {
        await expect(storage.removeAll(job)).resolves.toBeUndefined();
      });
    });

    describe('removeStartingWith', () => {
      it('removes the objects directly in the folder whose names start so, and nothing else', async () => {
        await save(`${job}/staging-2-0.png`, 'a');
        await save(`${job}/staging-2-1.png`, 'b');
        const kept = {
          [`${job}/staging-20-0.png`]: 'another attempt',
          [`${job}/0.png`]: 'published',
          [`${job}/staging-2-x/0.png`]: 'in a folder below',
        };
        for (const [key, text] of Object.entries(kept)) await save(key, text);

        await storage.removeStartingWith(`${job}/staging-2-`);

        await expect(storage.open(`${job}/staging-2-0.png`)).resolves.toBeNull();
        await expect(storage.open(`${job}/staging-2-1.png`)).resolves.toBeNull();
        for (const [key, text] of Object.entries(kept)) expect((await readStored(key)).toString()).toBe(text);
      });

      it('is fine when nothing matches, or the folder does not exist', async () => {
        await save(`${job}/0.png`, 'published');

        await expect(storage.removeStartingWith(`${job}/staging-`)).resolves.toBeUndefined();
        await expect(storage.removeStartingWith(`${randomUUID()}/staging-`)).resolves.toBeUndefined();
        expect((await readStored(`${job}/0.png`)).toString()).toBe('published');
      });
    });

    describe('move', () => {
      it('moves an object to its new key, byte for byte, leaving nothing at the old one', async () => {
        const content = randomBytes(70_000);
        await storage.save(`${job}/staging/attempt-2/0.png`, Readable.from([content]), 'image/png');

        await expect(storage.move(`${job}/staging/attempt-2/0.png`, `${job}/0.png`)).resolves.toBe(true);

        expect((await readStored(`${job}/0.png`)).equals(content)).toBe(true);
        await expect(storage.open(`${job}/staging/attempt-2/0.png`)).resolves.toBeNull();
      });

      it('replaces the object already at the new key', async () => {
        await save(`${job}/0.png`, 'an earlier version');
        await save(`${job}/staging/attempt-3/0.png`, 'the winner');

        await storage.move(`${job}/staging/attempt-3/0.png`, `${job}/0.png`);

        expect((await readStored(`${job}/0.png`)).toString()).toBe('the winner');
        expect(await reportedSize(`${job}/0.png`)).toBe('the winner'.length);
      });

      it('resolves false, changing nothing, when there is nothing to move (moved already)', async () => {
        await save(`${job}/staging/attempt-1/0.png`, 'published once');
        await storage.move(`${job}/staging/attempt-1/0.png`, `${job}/0.png`);

        await expect(storage.move(`${job}/staging/attempt-1/0.png`, `${job}/0.png`)).resolves.toBe(false);

        expect((await readStored(`${job}/0.png`)).toString()).toBe('published once');
      });

      it('refuses unsafe keys on either side', async () => {
        await save(`${job}/0.png`, 'x');

        await expect(storage.move(`${job}/0.png`, '../escaped.png')).rejects.toBeInstanceOf(InvalidMediaKeyError);
        await expect(storage.move('../outside.png', `${job}/1.png`)).rejects.toBeInstanceOf(InvalidMediaKeyError);
      });
    });

    describe('a meter', () => {
      it('is told the size of each chunk, and the save stores them all', async () => {
        const sizes: number[] = [];
        const chunks = [Buffer.alloc(3, 1), Buffer.alloc(70_000, 2)];

        const stored = await storage.save(`${job}/0.png`, slowly(chunks), 'image/png', (bytes) => sizes.push(bytes));

        expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(70_003);
        expect(stored.bytes).toBe(70_003);
      });

      it('that refuses a chunk fails the save with its error, leaving nothing and releasing the source', async () => {
        const source = slowly([Buffer.from('fine'), Buffer.from('too much')]);
        const refusal = new Error('over budget');
        let seen = 0;

        await expect(
          storage.save(`${job}/0.png`, source, 'image/png', (bytes) => {
            seen += bytes;
            if (seen > 4) throw refusal;
          }),
        ).rejects.toBe(refusal);

        await expect(storage.open(`${job}/0.png`)).resolves.toBeNull();
        expect(source.destroyed).toBe(true);
      });
    });

    describe('a source stream that fails mid-way', () => {
      it('makes save reject with the stream error', async () => {
        await expect(storage.save(`${job}/0.png`, failingSource(), 'image/png')).rejects.toThrow(
          'upstream connection reset',
        );
      });

      it('leaves nothing readable under the key', async () => {
        await storage.save(`${job}/0.png`, failingSource(), 'image/png').catch(() => undefined);

        await expect(storage.open(`${job}/0.png`)).resolves.toBeNull();
      });

      it('leaves no part of a failed replacement: the previous object (S3) or nothing (local disk)', async () => {
        await save(`${job}/0.png`, 'good');

        await storage.save(`${job}/0.png`, failingSource(), 'image/png').catch(() => undefined);

        const left = await storage.open(`${job}/0.png`);
        if (left) expect((await readAll(left.stream)).toString()).toBe('good');
      });
    });

    describe('unsafe keys', () => {
      const unsafeKeys = ['../x', 'a/../../x.png', '/etc/passwd', '.hidden', 'a//b', 'a\\..\\b', '', 'a/b\u0000.png'];

      it.each(unsafeKeys)('refuses to save under %j', async (key) => {
        await expect(storage.save(key, Readable.from([Buffer.from('evil')]), 'image/png')).rejects.toBeInstanceOf(
          InvalidMediaKeyError,
        );
      });

      it.each(unsafeKeys)('refuses to open %j', async (key) => {
        await expect(storage.open(key)).rejects.toBeInstanceOf(InvalidMediaKeyError);
      });

      it.each(unsafeKeys)('refuses to remove everything under %j', async (key) => {
        await expect(storage.removeAll(key)).rejects.toBeInstanceOf(InvalidMediaKeyError);
      });

      it.each(unsafeKeys)('refuses to remove what starts with %j', async (key) => {
        await expect(storage.removeStartingWith(key)).rejects.toBeInstanceOf(InvalidMediaKeyError);
      });
    });
  });
}
