import { formatReport, isClean, runChaos } from './chaos';

// `npm run chaos`: the full fault-injection run. Settings can be overridden through CHAOS_* variables.
const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

runChaos({
  jobs: number('CHAOS_JOBS', 500),
  workers: number('CHAOS_WORKERS', 3),
  latencyMs: number('CHAOS_LATENCY_MS', 200),
  failureRate: number('CHAOS_FAILURE_RATE', 0.1),
  faults: { sigkill: true, sigterm: true, redisFlush: true, cutDatabase: true },
  postgresUrl: process.env.CHAOS_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  database: process.env.CHAOS_DATABASE ?? 'mediagen_chaos',
  redisUrl: process.env.CHAOS_REDIS_URL ?? 'redis://127.0.0.1:6379/7',
  settleTimeoutMs: number('CHAOS_SETTLE_TIMEOUT_MS', 180_000),
  log: (line) => process.stdout.write(`${line}\n`),
})
  .then((report) => {
    process.stdout.write(`\n${formatReport(report)}\n`);
    process.exitCode = isClean(report) ? 0 : 1;
  })
  .catch((error: unknown) => {
    process.stderr.write(`chaos run failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
