import { getMetadataArgsStorage } from 'typeorm';
import { JobEntity } from './entities/job.entity';
import { INSERTED_COLUMNS, JOB_COLUMNS, type JobRow, jobFromInsert, jobFromRow } from './job-row';

/** JobEntity's columns as TypeORM maps them: database column name → entity property. */
function entityColumns(): Map<string, string> {
  const columns = getMetadataArgsStorage().columns.filter((column) => column.target === JobEntity);
  return new Map(columns.map((column) => [column.options.name ?? column.propertyName, column.propertyName]));
}

describe('jobFromRow', () => {
  it('maps every column of the entity, and only those, to the property TypeORM maps it to', () => {
    const columns = entityColumns();
    // A distinct value per column, so a column read into the wrong property shows.
    const row = Object.fromEntries([...columns.keys()].map((name) => [name, `value of ${name}`])) as unknown as JobRow;

    const job = jobFromRow(row);

    const expected = Object.fromEntries([...columns].map(([name, property]) => [property, `value of ${name}`]));
    expect(job).toStrictEqual(expected);
  });

  it('knows the entity has columns (the metadata is loaded)', () => {
    expect(entityColumns().get('max_attempts')).toBe('maxAttempts');
  });
});

describe('JOB_COLUMNS', () => {
  it('names every column of the entity, each once', () => {
    const named = JOB_COLUMNS.split(', ');

    expect(new Set(named).size).toBe(named.length);
    expect([...named].sort()).toEqual([...entityColumns().keys()].sort());
  });
});

describe('jobFromInsert', () => {
  const newJob = {
    owner: 'key:3f2a',
    prompt: 'a red fox',
    model: 'owner/model',
    input: { seed: 7 },
    maxAttempts: 3,
    idempotencyKey: 'order-42',
    requestFingerprint: 'fingerprint',
    webhook: { url: 'https://example.com/hook', events: ['completed' as const] },
  };
  const inserted = { id: 'the id', created_at: new Date(1000), updated_at: new Date(2000) };

  it('gives every property of the entity a value', () => {
    const job = jobFromInsert(newJob, inserted);

    expect(Object.keys(job).sort()).toEqual([...entityColumns().values()].sort());
  });

  it('takes what the database decided from the inserted row, and the request from the new job', () => {
    expect(jobFromInsert(newJob, inserted)).toMatchObject({
      id: 'the id',
      createdAt: new Date(1000),
      updatedAt: new Date(2000),
      owner: 'key:3f2a',
      prompt: 'a red fox',
      model: 'owner/model',
      input: { seed: 7 },
      maxAttempts: 3,
      idempotencyKey: 'order-42',
      requestFingerprint: 'fingerprint',
      webhook: newJob.webhook,
      status: 'queued',
      attempts: 0,
    });
  });

  it('is given back exactly the columns the database decides', () => {
    expect(INSERTED_COLUMNS.split(', ')).toEqual(Object.keys(inserted));
  });
});
