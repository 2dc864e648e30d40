import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './loopback';

// Redis servers of a spec's own, as child processes on spare loopback ports with their files in a
// scratch folder: a 3-master Redis Cluster, and a master + replica watched by three Sentinels.
// They never touch the shared Redis on 6379.

const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';
const REDIS_CLI = process.env.REDIS_CLI_PATH ?? '/usr/bin/redis-cli';
const REDIS_SENTINEL = process.env.REDIS_SENTINEL_PATH ?? '/usr/bin/redis-sentinel';
const run = promisify(execFile);

/** Skipped where Redis (with redis-cli and redis-sentinel) is missing, except in CI (.ci/run installs them). */
export const redisServersFound = [REDIS_SERVER, REDIS_CLI, REDIS_SENTINEL].every((path) => existsSync(path));
export const REDIS_SERVERS_MISSING = `${REDIS_SERVER}, ${REDIS_CLI} or ${REDIS_SENTINEL} not found (apt-get install redis-server redis-sentinel)`;

export const SENTINEL_MASTER_NAME = 'mediagen';

/** One redis-server (or sentinel) process. */
class RedisProcess {
  private readonly child: ChildProcess;
  private readonly output: string[] = [];

  constructor(
    readonly port: number,
    command: string,
    args: string[],
  ) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.on('data', (chunk) => {
        this.output.push(String(chunk));
        if (this.output.length > 50) this.output.shift();
      });
    }
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** redis-cli against this server; its output, trimmed. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(this.port), ...args]);
    return stdout.trim();
  }

  async waitUntilAnswering(): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (!this.running) throw new Error(`redis on ${this.port} exited:\n${this.output.join('')}`);
      if ((await this.cli('ping').catch(() => '')) === 'PONG') return;
      if (Date.now() > deadline) throw new Error(`redis on ${this.port} did not answer:\n${this.output.join('')}`);
      await sleep(50);
    }
  }

  /** SIGKILL: the server vanishes as in a crash. */
  async kill(): Promise<void> {
    if (!this.running) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }
}

/** Settings every server of ours runs with: loopback only, nothing written to disk but its config. */
function serverArgs(port: number, dir: string): string[] {
  return ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
}

/** Polls `check` every 100 ms until it holds; throws naming `what` after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export interface RunningRedisCluster {
  /** `host:port,…` of the masters: a value for REDIS_CLUSTER_NODES. */
  nodes: string;
  stop(): Promise<void>;
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 10_000 <= 65_535 && (await isFree(port + 10_000))) return port;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Three masters, no replicas, the 16384 slots spread over them (`redis-cli --cluster create`). */
export async function startRedisCluster(): Promise<RunningRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'mediagen-redis-cluster-'));
  const servers: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(servers.map((server) => server.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < 3; index += 1) {
      const port = await freeClusterPort();
      servers.push(
        new RedisProcess(port, REDIS_SERVER, [
          ...serverArgs(port, dir),
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
        ]),
      );
    }
    await Promise.all(servers.map((server) => server.waitUntilAnswering()));
    await run(REDIS_CLI, [
      '--cluster',
      'create',
      ...servers.map((server) => server.address),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (const server of servers) {
      await until(`the cluster state on ${server.port}`, async () =>
        (await server.cli('cluster', 'info')).includes('cluster_state:ok'),
      );
    }
    return { nodes: servers.map((server) => server.address).join(','), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface RunningRedisSentinels {
  /** `host:port,…` of the Sentinels: a value for REDIS_SENTINELS (the master is SENTINEL_MASTER_NAME). */
  sentinels: string;
  /** The port of the master now, as the Sentinels report it. */
  masterPort(): Promise<number>;
  /**
   * Kills the current master (SIGKILL) and waits until the Sentinels promoted the replica.
   * Returns the new master's port.
   */
  failover(): Promise<number>;
  stop(): Promise<void>;
}

/** A master and one replica, watched by three Sentinels (quorum 2) that fail over within a few seconds. */
export async function startRedisSentinels(): Promise<RunningRedisSentinels> {
  const dir = mkdtempSync(join(tmpdir(), 'mediagen-redis-sentinel-'));
  const servers = new Map<number, RedisProcess>();
  const sentinels: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all([...servers.values(), ...sentinels].map((server) => server.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const masterPort = await freePort();
    servers.set(masterPort, new RedisProcess(masterPort, REDIS_SERVER, serverArgs(masterPort, dir)));
    const replicaPort = await freePort();
    servers.set(
      replicaPort,
      new RedisProcess(replicaPort, REDIS_SERVER, [
        ...serverArgs(replicaPort, dir),
        '--replicaof',
        '127.0.0.1',
        String(masterPort),
      ]),
    );
    await Promise.all([...servers.values()].map((server) => server.waitUntilAnswering()));
    const replica = servers.get(replicaPort) as RedisProcess;
    await until('the replica to sync', async () =>
      (await replica.cli('info', 'replication')).includes('master_link_status:up'),
    );

    for (let index = 0; index < 3; index += 1) {
      const port = await freePort();
      // A Sentinel rewrites its config file, so each gets its own.
      const config = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        config,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
          `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
        ].join('\n'),
      );
      sentinels.push(new RedisProcess(port, REDIS_SENTINEL, [config]));
    }
    await Promise.all(sentinels.map((sentinel) => sentinel.waitUntilAnswering()));

    const currentMaster = async () =>
      Number((await sentinels[0].cli('sentinel', 'get-master-addr-by-name', SENTINEL_MASTER_NAME)).split('\n')[1]);
    // Every Sentinel sees the replica and the other Sentinels before a failover can be agreed on.
    for (const sentinel of sentinels) {
      await until(`sentinel ${sentinel.port} to know the setup`, async () => {
        const master = await sentinel.cli('sentinel', 'master', SENTINEL_MASTER_NAME);
        return /num-slaves\n1\n/.test(master) && /num-other-sentinels\n2\n/.test(master);
      });
    }
    return {
      sentinels: sentinels.map((sentinel) => sentinel.address).join(','),
      masterPort: currentMaster,
      failover: async () => {
        const old = await currentMaster();
        await servers.get(old)?.kill();
        await until('the Sentinels to promote the replica', async () => (await currentMaster()) !== old, 30_000);
        const promoted = await currentMaster();
        await until(
          'the promoted replica to accept writes',
          async () => (await servers.get(promoted)?.cli('info', 'replication'))?.includes('role:master') ?? false,
        );
        return promoted;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
