import { formatReport, isClean, runChaos } from './chaos';
import { type OwnServer, startOwnPostgres, startOwnRedis } from './own-servers';

// `npm run chaos`: the full fault-injection run. Settings can be overridden through CHAOS_* variables.
// `npm run chaos -- --real-restarts` (or CHAOS_REAL_RESTARTS=1) also restarts PostgreSQL and Redis
// for real, on a cluster and a server the run starts for itself on free ports.
const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const realRestarts = process.argv.includes('--real-restarts') || process.env.CHAOS_REAL_RESTARTS === '1';
const write = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<boolean> {
  const servers: OwnServer[] = [];
  try {
    let restarts: { postgres: OwnServer; redis: OwnServer; outageMs: number } | undefined;
    if (realRestarts) {
      write('!!! --real-restarts: this run STOPS AND RESTARTS PostgreSQL and Redis while jobs run.');
      write('!!! It starts its own PostgreSQL cluster (initdb in a temporary folder) and its own');
      write('!!! redis-server, on free ports, and restarts only those; the machine-wide services on');
      write('!!! 5432 and 6379 are not touched. Needs initdb/pg_ctl under /usr/lib/postgresql and redis-server.');
      const postgres = await startOwnPostgres();
      servers.push(postgres);
      const redis = await startOwnRedis();
      servers.push(redis);
      write(`own PostgreSQL at ${postgres.url}, own Redis at ${redis.url}`);
      restarts = { postgres, redis, outageMs: number('CHAOS_OUTAGE_MS', 4000) };
    }
    const report = await runChaos({
      jobs: number('CHAOS_JOBS', 500),
      workers: number('CHAOS_WORKERS', 3),
      latencyMs: number('CHAOS_LATENCY_MS', 200),
      failureRate: number('CHAOS_FAILURE_RATE', 0.1),
      faults: { sigkill: true, sigterm: true, redisDataLoss: true, cutDatabase: true },
      restarts,
      postgresUrl:
        restarts?.postgres.url ?? process.env.CHAOS_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      database: process.env.CHAOS_DATABASE ?? 'mediagen_chaos',
      redisUrl: restarts?.redis.url ?? process.env.CHAOS_REDIS_URL ?? 'redis://127.0.0.1:6379',
      queuePrefix: process.env.CHAOS_QUEUE_PREFIX ?? 'mediagen-chaos',
      settleTimeoutMs: number('CHAOS_SETTLE_TIMEOUT_MS', 180_000),
      log: write,
    });
    write(`\n${formatReport(report)}`);
    return isClean(report);
  } finally {
    for (const server of servers.reverse()) await server.destroy();
  }
}

main()
  .then((clean) => {
    process.exitCode = clean ? 0 : 1;
  })
  .catch((error: unknown) => {
    process.stderr.write(`chaos run failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
