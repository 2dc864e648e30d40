import { createServer } from 'node:net';
import { Client } from 'pg';

// Throwaway databases and ports for the harnesses that start the apps as processes (chaos, bench).

/** `url` with its path (the database name) replaced. */
export function withPath(url: string, path: string): string {
  const parsed = new URL(url);
  parsed.pathname = path;
  return parsed.toString();
}

export async function dropDatabase(postgresUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: withPath(postgresUrl, '/postgres') });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${database.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
