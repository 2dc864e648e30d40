import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from '../support/loopback';

const run = promisify(execFile);
const POSTGRES_ROOT = '/usr/lib/postgresql';

/** A server the chaos run owns and may take down: `outage` stops it for `ms`, then starts it again. */
export interface OwnServer {
  readonly url: string;
  outage(ms: number): Promise<void>;
  destroy(): Promise<void>;
}

/** PostgreSQL refuses to run as root: as root, run its tools as the `postgres` user. */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/**
 * A PostgreSQL cluster of the run's own (initdb in a temporary folder, a free port, trust auth,
 * no fsync), so restarting it disturbs no other user of the machine's PostgreSQL.
 */
export async function startOwnPostgres(): Promise<OwnServer> {
  const [version] = (await readdir(POSTGRES_ROOT)).sort().reverse();
  const bin = (tool: string) => join(POSTGRES_ROOT, version, 'bin', tool);
  const folder = await mkdtemp(join(tmpdir(), 'mediagen-chaos-pg-'));
  await chmod(folder, 0o777);
  const data = join(folder, 'data');
  const port = await freePort();
  const pgCtl = async (...args: string[]) => {
    const [command, argv] = asPostgres(bin('pg_ctl'), ['-D', data, '-l', join(folder, 'server.log'), '-w', ...args]);
    await run(command, argv);
  };
  const [initdb, initArgs] = asPostgres(bin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  await run(initdb, initArgs);
  const options = `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  await pgCtl('-o', options, 'start');
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async outage(ms) {
      await pgCtl('-m', 'fast', 'stop');
      await sleep(ms);
      await pgCtl('-o', options, 'start');
    },
    async destroy() {
      await pgCtl('-m', 'immediate', 'stop').catch(() => undefined);
      await rm(folder, { recursive: true, force: true });
    },
  };
}

/** A Redis server of the run's own on a free port, without persistence: a restart loses every key. */
export async function startOwnRedis(): Promise<OwnServer> {
  const folder = await mkdtemp(join(tmpdir(), 'mediagen-chaos-redis-'));
  const port = await freePort();
  let server: ChildProcess | undefined;
  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', folder];
    server = spawn('redis-server', args, { stdio: 'ignore' });
    for (let tries = 0; tries < 100; tries++) {
      const ping = await run('redis-cli', ['-p', String(port), 'ping']).catch(() => null);
      if (ping?.stdout.trim() === 'PONG') return;
      await sleep(50);
    }
    throw new Error(`redis-server on port ${port} did not come up`);
  };
  const stop = async () => {
    const running = server;
    if (!running || running.exitCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}/0`,
    async outage(ms) {
      await stop();
      await sleep(ms);
      await start();
    },
    async destroy() {
      await stop();
      await rm(folder, { recursive: true, force: true });
    },
  };
}
