import { JobFiles } from './job-files.service';
import { OutputBudget } from './output-budget';
import { MemoryStorage, png } from './testing/fakes';

describe('JobFiles', () => {
  let storage: MemoryStorage;
  let files: JobFiles;
  const roomy = () => new OutputBudget({ maxCount: 4, maxTotalBytes: 100 });

  beforeEach(() => {
    storage = new MemoryStorage();
    files = new JobFiles(storage);
  });

  it("stages an output under its attempt's prefix, named by its index, and describes what was stored", async () => {
    const output = await files.stage('job-1', 2, 1, png(12), roomy());

    expect(output).toEqual({
      file: '1.png',
      contentType: 'image/png',
      bytes: 12,
      sha256: 'sha-of-job-1/staging/attempt-2/1.png',
    });
    expect(storage.keys()).toEqual(['job-1/staging/attempt-2/1.png']);
  });

  it("fails the save once the job's outputs outgrow the budget", async () => {
    const budget = new OutputBudget({ maxCount: 4, maxTotalBytes: 15 });
    await files.stage('job-1', 1, 0, png(10), budget);

    await expect(files.stage('job-1', 1, 1, png(10), budget)).rejects.toMatchObject({ code: 'output_too_large' });
  });

  it("publishes the claiming attempt's outputs and drops every attempt's staging", async () => {
    storage.put('job-1/staging/attempt-2/0.png', 'mine');
    storage.put('job-1/staging/attempt-1/0.png', 'stale');

    await files.publish('job-1', 2, [{ file: '0.png', contentType: 'image/png', bytes: 4, sha256: 'x' }]);

    expect(storage.keys()).toEqual(['job-1/0.png']);
    expect(storage.objects.get('job-1/0.png')?.toString()).toBe('mine');
  });

  it('publishes again harmlessly (outputs an earlier call moved are skipped)', async () => {
    storage.put('job-1/0.png', 'published');
    const outputs = [{ file: '0.png', contentType: 'image/png', bytes: 9, sha256: 'x' }];

    await files.publish('job-1', 2, outputs);

    expect(storage.keys()).toEqual(['job-1/0.png']);
  });

  it('discards one attempt, all staging, or every file of the job', async () => {
    storage.put('job-1/0.png');
    storage.put('job-1/staging/attempt-1/0.png');
    storage.put('job-1/staging/attempt-2/0.png');

    await files.discardAttempt('job-1', 1);
    expect(storage.keys()).toEqual(['job-1/0.png', 'job-1/staging/attempt-2/0.png']);
    await files.discardStaging('job-1');
    expect(storage.keys()).toEqual(['job-1/0.png']);
    await files.discardAll('job-1');
    expect(storage.keys()).toEqual([]);
  });
});
