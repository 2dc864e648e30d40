import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalMediaStorage } from './local-media-storage';
import {
  attemptOutputName,
  attemptOutputPrefix,
  InvalidMediaKeyError,
  isSafeSegment,
  legacyStagedKey,
  legacyStagingFolder,
  mediaKey,
  stagedKey,
  stagingPrefix,
} from './media-key';
import { failingSource } from './media-storage.contract';

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

/** What only the local disk adds to the MediaStorage contract (media-storage.contract.ts): files and folders. */
describe('LocalMediaStorage', () => {
  let sandbox: string;
  let root: string;
  let storage: LocalMediaStorage;

  beforeEach(async () => {
    sandbox = await mkdtemp(join(tmpdir(), 'local-media-storage-'));
    root = join(sandbox, 'root');
    storage = new LocalMediaStorage(root);
  });

  afterEach(async () => {
    await rm(sandbox, { recursive: true, force: true });
  });

  it('saves once its whole folder was removed under it (the save makes the folders it needs)', async () => {
    await storage.save('job-a/0.png', Readable.from([Buffer.from('first')]), 'image/png');
    await rm(root, { recursive: true, force: true });

    await storage.save('job-b/0.png', Readable.from([Buffer.from('second')]), 'image/png');

    expect(await filesUnder(root)).toEqual(['job-b/0.png']);
  });

  it('releases a source whose folder it could not make', async () => {
    await storage.save('job-a', Readable.from([Buffer.from('a file where the folder should be')]), 'image/png');
    const source = Readable.from([Buffer.from('lost')]);

    await expect(storage.save('job-a/0.png', source, 'image/png')).rejects.toThrow();

    expect(source.destroyed).toBe(true);
  });

  it('reads the first chunk while it creates the file, not once the file exists', async () => {
    const path = join(root, 'job-a', '0.png');
    let fileExistedAtFirstRead: boolean | undefined;
    const source = Readable.from(
      (async function* () {
        fileExistedAtFirstRead = existsSync(path);
        yield Buffer.from('rendered');
      })(),
    );

    await storage.save('job-a/0.png', source, 'image/png');

    expect(fileExistedAtFirstRead).toBe(false);
    expect(await readFile(path, 'utf8')).toBe('rendered');
  });

  it('fails with the folder error when the source fails too, leaving no rejection unhandled', async () => {
    await storage.save('job-a', Readable.from([Buffer.from('a file where the folder should be')]), 'image/png');
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const source = Readable.from(
        (async function* () {
          yield* [];
          throw new Error('upstream connection reset');
        })(),
      );

      await expect(storage.save('job-a/0.png', source, 'image/png')).rejects.toMatchObject({ code: 'EEXIST' });
      await new Promise((resolve) => setTimeout(resolve, 20));

      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('releases a source whose file it could not open (a download is not left open), leaving what is there', async () => {
    await mkdir(join(root, 'job-a', '0.png'), { recursive: true });
    const source = Readable.from([Buffer.from('lost')]);

    await expect(storage.save('job-a/0.png', source, 'image/png')).rejects.toMatchObject({ code: 'EISDIR' });

    expect(source.destroyed).toBe(true);
    expect(existsSync(join(root, 'job-a', '0.png'))).toBe(true);
  });

  it('moves into a folder that does not exist yet', async () => {
    await storage.save('job-a/staging/attempt-1/0.png', Readable.from([Buffer.from('bytes')]), 'image/png');

    await expect(storage.move('job-a/staging/attempt-1/0.png', 'job-b/0.png')).resolves.toBe(true);

    expect(await filesUnder(root)).toEqual(['job-b/0.png']);
  });

  it('writes each object to the file <root>/<key>', async () => {
    const chunks = [Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(70_000, 7), Buffer.from('tail')];

    await storage.save('job-1/0.png', Readable.from(chunks), 'image/png');

    expect((await readFile(join(root, 'job-1', '0.png'))).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('replaces an earlier file saved under the same key, leaving no other file behind', async () => {
    await storage.save('job-1/0.png', Readable.from([Buffer.from('first version, rather long')]), 'image/png');
    await storage.save('job-1/0.png', Readable.from([Buffer.from('second')]), 'image/png');

    expect(await readdir(join(root, 'job-1'))).toEqual(['0.png']);
    expect((await readFile(join(root, 'job-1', '0.png'))).toString()).toBe('second');
  });

  describe('a source stream that fails mid-way', () => {
    it('leaves no file behind, not even the part it wrote', async () => {
      await storage.save('job-1/0.png', failingSource(), 'image/png').catch(() => undefined);

      expect(await filesUnder(root)).toEqual([]);
    });

    it('leaves no file behind when it replaced one', async () => {
      await storage.save('job-1/0.png', Readable.from([Buffer.from('good')]), 'image/png');

      await storage.save('job-1/0.png', failingSource(), 'image/png').catch(() => undefined);

      expect(await filesUnder(root)).toEqual([]);
    });
  });

  describe('rule: folders hold no objects of their own, so emptied ones go, up to the root', () => {
    const save = (key: string) => storage.save(key, Readable.from([Buffer.from('x')]), 'image/png');

    it('a move from a staged name keeps the job folder, which now holds the output', async () => {
      await save(stagedKey('job-1', 1, '0.png'));

      expect(await storage.move(stagedKey('job-1', 1, '0.png'), 'job-1/0.png')).toBe(true);

      expect(await filesUnder(root)).toEqual([join('job-1', '0.png')]);
    });

    it('a move from a legacy staging folder drops the folders it emptied, and keeps the job folder', async () => {
      await save(legacyStagedKey('job-1', 1, '0.png'));

      expect(await storage.move(legacyStagedKey('job-1', 1, '0.png'), 'job-1/0.png')).toBe(true);

      expect(existsSync(join(root, 'job-1', 'staging'))).toBe(false);
      expect(await filesUnder(root)).toEqual([join('job-1', '0.png')]);
    });

    it('a move keeps a legacy staging folder that still holds another output', async () => {
      await save(legacyStagedKey('job-1', 1, '0.png'));
      await save(legacyStagedKey('job-1', 1, '1.png'));

      await storage.move(legacyStagedKey('job-1', 1, '0.png'), 'job-1/0.png');

      expect(await filesUnder(join(root, 'job-1'))).toEqual(['0.png', join('staging', 'attempt-1', '1.png')]);
    });

    it('removing the last staged outputs of a job drops the job folder, never the root', async () => {
      await save(stagedKey('job-1', 2, '0.png'));
      await save(stagedKey('job-1', 2, '1.png'));

      await storage.removeStartingWith(stagingPrefix('job-1'));

      expect(existsSync(join(root, 'job-1'))).toBe(false);
      expect(existsSync(root)).toBe(true);
    });

    it("removing an attempt's outputs keeps the job folder while it holds another's", async () => {
      await save(`job-1/${attemptOutputName(1, '0.png')}`);
      await save(`job-1/${attemptOutputName(2, '0.png')}`);

      await storage.removeStartingWith(attemptOutputPrefix('job-1', 1));

      expect(await filesUnder(root)).toEqual([join('job-1', 'attempt-2-0.png')]);
    });

    it('removing staged outputs reports a file-system error other than a missing folder', async () => {
      await mkdir(root, { recursive: true });
      await symlink(join(root, 'job-1'), join(root, 'job-1'));

      await expect(storage.removeStartingWith(stagingPrefix('job-1'))).rejects.toMatchObject({ code: 'ELOOP' });
    });

    it('removing the last folder of a job drops the job folder, never the root', async () => {
      await save(legacyStagedKey('job-1', 2, '0.png'));

      await storage.removeAll(legacyStagingFolder('job-1'));

      expect(existsSync(join(root, 'job-1'))).toBe(false);
      expect(existsSync(root)).toBe(true);
    });
  });

  it('rule: a save writes in place, in the folder of its key, and nowhere else', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const source = Readable.from(
      (async function* () {
        yield Buffer.from('first half');
        await held;
        yield Buffer.from('second half');
      })(),
    );

    const saving = storage.save('job-1/0.png', source, 'image/png');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const during = await filesUnder(root);
    release();
    await saving;

    expect(during).toEqual([join('job-1', '0.png')]);
    expect((await readFile(join(root, 'job-1', '0.png'))).toString()).toBe('first halfsecond half');
  });

  it('rule: only a missing file means "not there"; other file system errors surface', async () => {
    await storage.save('job-1/0.png', Readable.from([Buffer.from('x')]), 'image/png');

    await expect(storage.open('job-1/0.png/inner.png')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(storage.move('job-1/0.png/inner.png', 'job-1/1.png')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(storage.removeAll('job-1/0.png/inner')).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('rule: local disk offers no direct URL (the api streams the file)', async () => {
    await expect(storage.directUrl()).resolves.toBeNull();
  });

  describe('keys that could escape the storage root', () => {
    const unsafeKeys = ['../x.png', 'a/../../x.png', '/etc/passwd', 'a//b', '.hidden', 'a\\..\\b', '', 'a/b\u0000.png'];

    it.each(unsafeKeys)('refuses to save under %j, writing nothing inside or outside the root', async (key) => {
      await expect(storage.save(key, Readable.from([Buffer.from('evil')]), 'image/png')).rejects.toBeInstanceOf(
        InvalidMediaKeyError,
      );
      expect(existsSync(join(sandbox, 'x.png'))).toBe(false);
      expect(existsSync(root) ? await filesUnder(root) : []).toEqual([]);
    });
  });
});

describe('mediaKey', () => {
  it('joins safe segments with a slash', () => {
    expect(mediaKey('job', '0.png')).toBe('job/0.png');
  });

  it.each([
    ['..', 'x'],
    ['job', '../0.png'],
    ['job', ''],
    ['job/sub', '0.png'],
  ])('refuses the segments %j and %j', (...segments) => {
    expect(() => mediaKey(...segments)).toThrow(InvalidMediaKeyError);
  });
});

describe("an attempt's keys", () => {
  it("rule: an attempt writes its outputs inside the job folder, under names of its own that no other attempt's start with", () => {
    expect(attemptOutputName(3, '0.png')).toBe('attempt-3-0.png');
    expect(attemptOutputPrefix('job-1', 3)).toBe('job-1/attempt-3-');
    expect(attemptOutputName(30, '0.png').startsWith('attempt-3-')).toBe(false);
  });

  it('names where releases before attempt-named outputs staged outputs', () => {
    expect(stagingPrefix('job-1')).toBe('job-1/staging-');
    expect(stagedKey('job-1', 3, '0.png')).toBe('job-1/staging-3-0.png');
  });

  it('names where releases before the flat layout staged outputs', () => {
    expect(legacyStagedKey('job-1', 3, '0.png')).toBe('job-1/staging/attempt-3/0.png');
    expect(legacyStagingFolder('job-1')).toBe('job-1/staging');
  });

  it('rule: a refused key says which key, under its own error name', () => {
    expect(() => mediaKey('..')).toThrow(expect.objectContaining({ name: 'InvalidMediaKeyError' }));
    expect(() => mediaKey('..')).toThrow('Invalid media key: ".."');
  });
});

describe('isSafeSegment', () => {
  it.each(['0.png', 'abc-1_2.webp', 'ABC', '3f1e2d4c-aaaa-4bbb-8ccc-123456789abc'])('accepts %j', (segment) => {
    expect(isSafeSegment(segment)).toBe(true);
  });

  it.each(['..', '.', '.env', 'a/b', 'a\\b', 'a..b', '', '-leading-dash', 'a b', 'x'.repeat(129)])(
    'refuses %j',
    (segment) => {
      expect(isSafeSegment(segment)).toBe(false);
    },
  );
});
