import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { useIsolatedDatabase } from './support/isolated-database';
import { useService } from './support/service';

// The hot statements run as named prepared statements (DATABASE_PREPARED_STATEMENTS, on by
// default). One connection per process here, so what the api prepared is visible on its pool. The
// file alters its table, so it has a database of its own.

describe('named prepared statements', () => {
  useIsolatedDatabase('prepared', { DATABASE_POOL_SIZE: '1' });
  const running = useService();

  const apiPool = () => (running.service.api.get(DataSource).driver as unknown as { master: Pool }).master;

  it('prepares the status read once on the connection and runs it again from there', async () => {
    const job = await running.client.waitUntilDone((await running.client.submit({ prompt: 'a kept plan' })).id);
    await running.client.job(job.id);

    const { rows } = await apiPool().query<{ statement: string }>(
      "SELECT statement FROM pg_prepared_statements WHERE name LIKE 'mediagen\\_%'",
    );

    expect(rows.map((row) => row.statement)).toContainEqual(expect.stringContaining('WHERE id = $1 AND owner = $2'));
  });

  it('keeps serving after a migration adds a column to the table its statements read', async () => {
    const before = await running.client.waitUntilDone((await running.client.submit({ prompt: 'before' })).id);

    await apiPool().query('ALTER TABLE jobs ADD COLUMN added_by_a_later_migration text');

    const read = await running.client.getStatus(before.id);
    expect(read.status).toBe(200);
    const after = await running.client.waitUntilDone((await running.client.submit({ prompt: 'after' })).id);
    expect(after).toMatchObject({ status: 'succeeded', attempts: 1 });
  });
});
