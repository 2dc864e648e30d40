import { getMetadataArgsStorage } from 'typeorm';
import { JobEntity } from './entities/job.entity';
import { INSERTED_COLUMNS, JOB_COLUMNS, type JobRow, jobFromInsert, jobFromRow } from './job-row';

/** JobEntity's columns as TypeORM maps them: database column name → entity property. */
function entityColumns(): Map<string, string> {
  const columns = getMetadataArgsStorage().columns.filter((column) => column.target === JobEntity);
  return new Map(columns.map((column) => [column.options.name ?? column.propertyName, column.propertyName]));
}

const TIMESTAMP_COLUMNS = new Set(['created_at', 'started_at', 'completed_at', 'outputs_expired_at', 'updated_at']);

describe('jobFromRow', () => {
  it('maps every column of the entity, and only those, to the property TypeORM maps it to', () => {
    const columns = entityColumns();
    // A distinct value per column, so a column read into the wrong property shows.
    const sampleValue = (name: string, index: number) =>
      TIMESTAMP_COLUMNS.has(name) ? new Date(Date.UTC(2026, 0, 1, 0, 0, index)) : `value of ${name}`;
    const names = [...columns.keys()];
    const row = Object.fromEntries(
      names.map((name, index) => {
        const value = sampleValue(name, index);
        return [name, value instanceof Date ? value.toISOString() : value];
      }),
    ) as unknown as JobRow;

    const job = jobFromRow(row);

    const expected = Object.fromEntries(names.map((name, index) => [columns.get(name), sampleValue(name, index)]));
    expect(job).toStrictEqual(expected);
  });

  it('reads timestamps as PostgreSQL writes them in JSON: any offset, microseconds cut to milliseconds', () => {
    const at = (timestamp: string) => jobFromRow({ ...row(), created_at: timestamp }).createdAt.toISOString();

    expect(at('2026-12-01T01:17:39.123999+00:00')).toBe('2026-12-01T01:17:39.123Z');
    expect(at('2026-11-30T21:47:39.5-03:30')).toBe('2026-12-01T01:17:39.500Z');
    expect(at('2026-12-01T07:02:39+05:45')).toBe('2026-12-01T01:17:39.000Z');
  });

  it('keeps a timestamp the row lacks as null', () => {
    expect(jobFromRow({ ...row(), started_at: null, completed_at: null, outputs_expired_at: null })).toMatchObject({
      startedAt: null,
      completedAt: null,
      outputsExpiredAt: null,
    });
  });

  it('knows the entity has columns (the metadata is loaded)', () => {
    expect(entityColumns().get('max_attempts')).toBe('maxAttempts');
  });
});

function row(): JobRow {
  const timestamp = '2026-12-01T01:17:39.123+00:00';
  return {
    ...(Object.fromEntries([...entityColumns().keys()].map((name) => [name, null])) as unknown as JobRow),
    created_at: timestamp,
    updated_at: timestamp,
    started_at: timestamp,
    completed_at: timestamp,
    outputs_expired_at: timestamp,
  };
}

describe('JOB_COLUMNS', () => {
  it('names every column of the entity, each once', () => {
    expect(new Set(JOB_COLUMNS).size).toBe(JOB_COLUMNS.length);
    expect([...JOB_COLUMNS].sort()).toEqual([...entityColumns().keys()].sort());
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
      ...newJob,
      id: 'the id',
      createdAt: new Date(1000),
      updatedAt: new Date(2000),
      status: 'queued',
      attempts: 0,
    });
  });

  it('is given back exactly the columns the database decides', () => {
    expect(INSERTED_COLUMNS.split(', ')).toEqual(Object.keys(inserted));
  });
});
