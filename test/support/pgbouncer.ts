import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { freePort } from './loopback';

export const PGBOUNCER = process.env.PGBOUNCER_PATH ?? '/usr/sbin/pgbouncer';
/** Skipped where PgBouncer is missing, except in CI (.ci/run installs Debian's pgbouncer). */
export const pgbouncerFound = existsSync(PGBOUNCER);

export interface RunningPgBouncer {
  /** `databaseUrl` with host and port replaced by PgBouncer's. */
  url: string;
  /** Server connections PgBouncer may open per database and user. */
  poolSize: number;
  stop(): Promise<void>;
}

/**
 * A PgBouncer of the caller's own (Debian's 1.18) in front of the database of `databaseUrl`, in
 * transaction pooling mode, on a free loopback port, with its ini in a scratch folder. Runs in the
 * foreground as a child process; as root it drops to the `postgres` user (PgBouncer refuses root).
 */
export async function startPgBouncer(databaseUrl: string, poolSize = 2): Promise<RunningPgBouncer> {
  const target = new URL(databaseUrl);
  const database = decodeURIComponent(target.pathname.slice(1));
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mediagen-pgbouncer-'));
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(
    ini,
    [
      '[databases]',
      `${database} = host=${target.hostname} port=${target.port || 5432} dbname=${database}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      'reserve_pool_size = 0',
      'max_client_conn = 200',
      // node-postgres sends these; PgBouncer would refuse the connection otherwise.
      'ignore_startup_parameters = extra_float_digits,options',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'users.txt'), `"${decodeURIComponent(target.username || 'postgres')}" ""\n`);
  for (const path of [dir, ini, join(dir, 'users.txt')]) chmodSync(path, 0o755);

  const asRoot = process.getuid?.() === 0;
  const child = spawn(PGBOUNCER, [...(asRoot ? ['-u', 'postgres'] : []), ini], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => output.push(String(chunk)));

  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  await waitUntilAnswering(url.toString(), child, output);
  return {
    url: url.toString(),
    poolSize,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilAnswering(url: string, child: ChildProcess, output: string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited:\n${output.join('')}`);
    const client = new Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`pgbouncer did not answer: ${error}\n${output.join('')}`);
      await sleep(100);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
