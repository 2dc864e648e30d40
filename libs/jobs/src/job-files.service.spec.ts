import { JobFiles } from './job-files.service';
import { OutputBudget } from './output-budget';
import { MemoryStorage, png } from './testing/fakes';

describe('JobFiles', () => {
  let storage: MemoryStorage;
  let files: JobFiles;
  const roomy = () => new OutputBudget({ maxCount: 4, maxTotalBytes: 100 });
  const holding = (...keys: string[]) => {
    for (const key of keys) storage.put(key);
  };

  beforeEach(() => {
    storage = new MemoryStorage();
    files = new JobFiles(storage);
  });

  it("saves an output under its attempt's name for it, by its index, in the job's folder, and describes what was stored", async () => {
    const output = await files.save('job-1', 2, 1, png(12), roomy());

    expect(output).toEqual({
      file: '1.png',
      storedAs: 'attempt-2-1.png',
      contentType: 'image/png',
      bytes: 12,
      sha256: 'sha-of-job-1/attempt-2-1.png',
    });
    expect(storage.keys()).toEqual(['job-1/attempt-2-1.png']);
  });

  it("fails the save once the job's outputs outgrow the budget", async () => {
    const budget = new OutputBudget({ maxCount: 4, maxTotalBytes: 15 });
    await files.save('job-1', 1, 0, png(10), budget);

    await expect(files.save('job-1', 1, 1, png(10), budget)).rejects.toMatchObject({ code: 'output_too_large' });
  });

  it("publishes the outputs an older release's attempt claimed and drops every attempt's staging", async () => {
    storage.put('job-1/staging-2-0.png', 'mine');
    storage.put('job-1/staging-1-0.png', 'stale');
    storage.put('job-1/staging-12-0.png', 'stale too');

    await files.publishClaimed('job-1', 2, [{ file: '0.png', contentType: 'image/png', bytes: 4, sha256: 'x' }]);

    expect(storage.keys()).toEqual(['job-1/0.png']);
    expect(storage.objects.get('job-1/0.png')?.toString()).toBe('mine');
  });

  it('publishes a claim staged by a release before the flat layout, and drops its staging folder', async () => {
    storage.put('job-1/staging/attempt-2/0.png', 'mine');
    storage.put('job-1/staging/attempt-2/1.png', 'mine too');
    storage.put('job-1/staging/attempt-1/0.png', 'stale');
    const outputs = ['0.png', '1.png'].map((file) => ({ file, contentType: 'image/png', bytes: 4, sha256: 'x' }));

    await files.publishClaimed('job-1', 2, outputs);

    expect(storage.keys()).toEqual(['job-1/0.png', 'job-1/1.png']);
    expect(storage.objects.get('job-1/1.png')?.toString()).toBe('mine too');
  });

  it('leaves the legacy staging folder alone when nothing was staged there (one listing less per job)', async () => {
    storage.put('job-1/staging-1-0.png', 'mine');

    await files.publishClaimed('job-1', 1, [{ file: '0.png', contentType: 'image/png', bytes: 4, sha256: 'x' }]);

    expect(storage.removed).toEqual(['job-1/staging-']);
  });

  it('publishes again harmlessly (outputs an earlier call moved are skipped)', async () => {
    storage.put('job-1/0.png', 'published');
    const outputs = [{ file: '0.png', contentType: 'image/png', bytes: 9, sha256: 'x' }];

    await files.publishClaimed('job-1', 2, outputs);

    expect(storage.keys()).toEqual(['job-1/0.png']);
  });

  it("discards one attempt's files, or every file of the job", async () => {
    holding('job-1/0.png', 'job-1/attempt-1-0.png', 'job-1/attempt-1-1.png', 'job-1/attempt-10-0.png');

    await files.discardAttempt('job-1', 1);
    expect(storage.keys()).toEqual(['job-1/0.png', 'job-1/attempt-10-0.png']);
    await files.discardAll('job-1');
    expect(storage.keys()).toEqual([]);
  });

  it('discards what earlier attempts and older releases left, keeping the given attempt and published outputs', async () => {
    holding(
      'job-1/0.png',
      'job-1/attempt-1-0.png',
      'job-1/attempt-2-0.png',
      'job-1/attempt-3-0.png',
      'job-1/staging-1-0.png',
    );

    await files.discardEarlierAttempts('job-1', 3);

    expect(storage.keys()).toEqual(['job-1/0.png', 'job-1/attempt-3-0.png']);
  });

  it('looks for nothing to discard before a first attempt (no listing per job)', async () => {
    await files.discardEarlierAttempts('job-1', 1);

    expect(storage.removed).toEqual([]);
  });
});
