import { getMetadataArgsStorage } from 'typeorm';
import { JobEntity } from './entities/job.entity';
import { JOB_COLUMNS, type JobRow, jobFromRow } from './job-row';

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
