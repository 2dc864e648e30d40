import type { BenchOptions } from './bench';
import { runThenClean, writeResults } from './bench-run';

// `npm run bench`: the service against a framework-free reference, on this machine, in one run.
// Without an argument it runs the benchmark; `scale` runs the scaling benchmark (scale.ts);
// `reference-api` / `reference-worker` run one part of the reference (the benchmark starts them
// that way, as separate processes).
// Settings can be overridden through BENCH_* variables. Modules are loaded by role, so the
// reference processes hold only what the reference uses (their memory is measured).

const RESULTS_FILE = 'bench-results.json';

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

/** Where a run measures, and the service settings it uses, from BENCH_* variables. */
function commonOptions(database: string, queuePrefix: string) {
  return {
    postgresUrl: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    database: process.env.BENCH_DATABASE ?? database,
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    queuePrefix: process.env.BENCH_QUEUE_PREFIX ?? queuePrefix,
    // The defaults a user gets (DATABASE_POOL_SIZE, WORKER_CONCURRENCY), for the reference too.
    poolSize: number('BENCH_POOL_SIZE', 10),
    concurrency: number('BENCH_WORKER_CONCURRENCY', 4),
    log: (line: string) => void process.stdout.write(`${line}\n`),
  };
}

async function main(): Promise<void> {
  const { Bench } = await import('./bench.js');
  const { compare, formatNotes, formatProfiles, formatTable, TARGETS } = await import('./report.js');
  const options: BenchOptions = {
    ...commonOptions('mediagen_bench', 'mediagen-bench'),
    connections: number('BENCH_CONNECTIONS', 32),
    durationSeconds: number('BENCH_DURATION_S', 5),
    warmupSeconds: number('BENCH_WARMUP_S', 3),
    jobs: number('BENCH_JOBS', 1000),
    rounds: number('BENCH_ROUNDS', 3),
    warmupJobs: number('BENCH_WARMUP_JOBS', 200),
    defaultImageJobs: number('BENCH_DEFAULT_IMAGE_JOBS', 200),
    settleTimeoutMs: number('BENCH_SETTLE_TIMEOUT_MS', 90_000),
    profile: process.env.BENCH_PROFILE !== '0',
  };
  const bench = new Bench(options);
  const started = Date.now();
  await runThenClean(bench, async () => {
    const { service, reference } = await bench.run();
    const rows = compare(service, reference);
    const pass = rows.every((row) => row.pass !== false);
    const notes = formatNotes(service, reference).map((note) => `note: ${note}\n`);
    process.stdout.write(`\n${formatProfiles(service, reference)}`);
    process.stdout.write(`\n${formatTable(rows)}\n\n${notes.join('')}verdict  ${pass ? 'PASS' : 'FAIL'}\n`);
    await writeResults(RESULTS_FILE, started, options, { targets: TARGETS, rows, pass, service, reference });
  });
}

/** `compare name=checkout … [reference]`: see compare.ts. */
async function compareCheckouts(): Promise<void> {
  const { CompareBench, format } = await import('./compare.js');
  const bench = new CompareBench(
    {
      ...commonOptions('mediagen_bench_compare', 'mediagen-bench-compare'),
      rounds: number('BENCH_ROUNDS', 3),
      jobs: number('BENCH_JOBS', 3000),
    },
    process.argv.slice(3),
  );
  await runThenClean(bench, async () => {
    const rows = await bench.run();
    process.stdout.write(`\nmedian of each system's rounds\n${rows.map(format).join('\n')}\n`);
  });
}

const roles: Record<string, () => Promise<void>> = {
  scale: async () => (await import('./scale.js')).runScaleBench(),
  compare: compareCheckouts,
  'reference-api': async () => (await import('./reference.js')).runReferenceApi(),
  'reference-worker': async () => (await import('./reference.js')).runReferenceWorker(),
};
(roles[process.argv[2]] ?? main)().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 2;
});
