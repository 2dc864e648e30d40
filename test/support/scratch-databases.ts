import { Client } from 'pg';

// Throwaway databases of the e2e suite, its isolated specs and the harnesses (chaos, bench).

/** `url` with its path (the database name) replaced. */
export function withPath(url: string, path: string): string {
  const parsed = new URL(url);
  parsed.pathname = path;
  return parsed.toString();
}

/** The one way tests drop a database: the one `databaseUrl` names, even with sessions still open. */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const database = new URL(databaseUrl).pathname.slice(1);
  const client = new Client({ connectionString: withPath(databaseUrl, '/postgres') });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${database.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
