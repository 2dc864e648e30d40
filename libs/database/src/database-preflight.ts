import { Client } from 'pg';
import { migrations } from '../../../migrations';
import { isDatabaseUnavailable } from './database-availability';

/** What a start-up check found at DATABASE_URL. */
export type DatabaseState =
  | { kind: 'ready'; pendingMigrations: number }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'missing' }
  | { kind: 'unmigrated' };

const UNDEFINED_DATABASE = '3D000';
const UNDEFINED_TABLE = '42P01';

/** `host:port/database` of a PostgreSQL URL: never its user or password. */
export function databaseAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

/**
 * Connects once to `url` and says whether the service can use it: reachable, existing, migrated.
 * Errors other than "cannot reach" (a wrong password, say) are thrown: waiting would not help.
 */
export async function inspectDatabase(url: string): Promise<DatabaseState> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  // A refused connection also emits `error` on the client; the rejected connect() reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
    const applied = await client.query<{ name: string }>('SELECT name FROM migrations');
    const names = new Set(applied.rows.map((row) => row.name));
    return { kind: 'ready', pendingMigrations: migrations.filter((migration) => !names.has(migration.name)).length };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === UNDEFINED_DATABASE) return { kind: 'missing' };
    if (code === UNDEFINED_TABLE) return { kind: 'unmigrated' };
    if (isDatabaseUnavailable(error)) return { kind: 'unreachable', reason: (error as Error).message };
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}
