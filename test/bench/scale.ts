import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../support/loopback';
import { API_START, round, serviceEnvironment, WORKER_START, waitForHttp } from './bench';
import { BenchRun, runThenClean, writeResults } from './bench-run';
import { load } from './load';
import { type BenchProcess, machineBusySeconds } from './processes';

// `npm run bench -- scale` (or `npm run bench:scale`): does throughput grow with the number of
// workers? The api and N worker processes (N = 1, 2, 4) run the mock generator, which sleeps
// MOCK_LATENCY_MS per job, so the ideal is N × WORKER_CONCURRENCY / latency jobs per second and
// whatever falls short of it is the service's own overhead (queueing, database, signals).

const RESULTS_FILE = 'bench-scale-results.json';
/** Tiny images, so PNG rendering does not matter. */
const INPUT = { width: 16, height: 16 };
const TERMINAL = ['succeeded', 'failed', 'canceled'];
/** Throughput at or above this share of the ideal passes. */
export const SCALE_TARGET = 0.9;

export interface ScaleOptions {
  /** PostgreSQL server URL; the run creates (and drops) its own database on it. */
  postgresUrl: string;
  database: string;
  redisUrl: string;
  queuePrefix: string;
  workerCounts: number[];
  /** WORKER_CONCURRENCY of every worker. */
  concurrency: number;
  /** Clients per worker slot (workers × concurrency); above 1 keeps a job waiting for every free slot. */
  clientsPerSlot: number;
  /** MOCK_LATENCY_MS: how long each job takes in the mock generator. */
  latencyMs: number;
  durationSeconds: number;
  warmupSeconds: number;
  poolSize: number;
  settleTimeoutMs: number;
  log: (line: string) => void;
}

export interface ScaleRow {
  workers: number;
  concurrency: number;
  /** workers × concurrency / latency. */
  idealJobsPerSecond: number;
  /** Jobs completed per second in the steady part of the run (after the first latency). */
  jobsPerSecond: number;
  ratio: number;
  /** Submit → succeeded, from the database (includes the wait in the queue). */
  completionP50Ms: number;
  completionP99Ms: number;
  /** Attempt start → succeeded: how long a job holds a worker slot (the mock's latency and the service's work). */
  runP50Ms: number;
  runP99Ms: number;
  /** Jobs of the run that did not succeed, and requests that were not answered 2xx. */
  failed: number;
  /** Share of the machine's CPU the api and workers used, and that everything busy used. */
  serviceCpuShare: number;
  machineCpuShare: number;
  pass: boolean;
}

/**
 * For each worker count: start the workers, then keep clientsPerSlot × workers × concurrency
 * clients submitting with `Prefer: wait` (each sends its next job when its last one ended). With
 * more clients than slots (2 by default) a job is always waiting for each slot that frees, so
 * what is measured is the workers' capacity, not a client's round trip; completion times then
 * include about one latency of queueing by design. A warm-up run first, then the measured one;
 * the jobs of both are drained before the workers stop.
 */
export class ScaleBench {
  private readonly mediaRoot = join(tmpdir(), 'mediagen-bench-scale');
  private readonly resources: BenchRun;

  constructor(private readonly options: ScaleOptions) {
    this.resources = new BenchRun({
      postgresUrl: options.postgresUrl,
      database: options.database,
      redisUrl: options.redisUrl,
      prefixes: [options.queuePrefix],
      mediaRoot: this.mediaRoot,
    });
  }

  async run(): Promise<ScaleRow[]> {
    this.options.log(`fresh database ${this.options.database}`);
    await this.resources.open();

    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const api = this.resources.process('api', API_START, this.environment(port, await freePort()));
    api.start();
    await waitForHttp(`${baseUrl}/health/ready`, api);

    const rows: ScaleRow[] = [];
    for (const workers of this.options.workerCounts) {
      rows.push(await this.measure(port, api, workers));
    }
    return rows;
  }

  /** Stops every process, drops the database, deletes the run's Redis keys and media. Idempotent. */
  cleanup(): Promise<void> {
    return this.resources.cleanup();
  }

  private async measure(apiPort: number, api: BenchProcess, count: number): Promise<ScaleRow> {
    const baseUrl = `http://127.0.0.1:${apiPort}`;
    const { concurrency, latencyMs, durationSeconds, warmupSeconds, log } = this.options;
    const workers: BenchProcess[] = [];
    for (let index = 1; index <= count; index += 1) {
      const healthPort = await freePort();
      const worker = this.resources.process(
        `worker ${index}/${count}`,
        WORKER_START,
        this.environment(apiPort, healthPort),
      );
      worker.start();
      workers.push(worker);
      await waitForHttp(`http://127.0.0.1:${healthPort}/health/ready`, worker);
    }
    const clients = Math.ceil(count * concurrency * this.options.clientsPerSlot);
    const ideal = (count * concurrency * 1000) / latencyMs;
    log(`${count} worker(s) × ${concurrency}: ${clients} clients, ${warmupSeconds} s warm-up + ${durationSeconds} s`);

    const submit = (prompt: string, seconds: number) =>
      load(
        baseUrl,
        {
          method: 'POST',
          path: '/v1/generate',
          body: JSON.stringify({ prompt, input: INPUT }),
          headers: { prefer: `wait=${Math.ceil((10 * latencyMs) / 1000)}` },
        },
        { connections: clients, durationSeconds: seconds },
      );
    await submit(`scale warm-up ${count}`, warmupSeconds);
    // The warm-up's last jobs would hold slots in the measured run.
    await this.drain();

    const prompt = `scale ${count}`;
    const cpuBefore = this.cpuSeconds([api, ...workers]);
    const startedAt = Date.now();
    const result = await submit(prompt, durationSeconds);
    const endedAt = Date.now();
    const cpu = this.cpuSeconds([api, ...workers]);
    await this.drain();
    await Promise.all(workers.map((worker) => worker.stop()));

    const { rows } = await this.resources.database().query<{
      steady: number;
      p50_ms: number;
      p99_ms: number;
      run_p50_ms: number;
      run_p99_ms: number;
      unsuccessful: number;
    }>(
      `SELECT (count(*) FILTER (WHERE status = 'succeeded' AND completed_at BETWEEN to_timestamp($2 / 1000.0) AND to_timestamp($3 / 1000.0)))::int AS steady,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at)::float8 * 1000) FILTER (WHERE status = 'succeeded') AS p50_ms,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at)::float8 * 1000) FILTER (WHERE status = 'succeeded') AS p99_ms,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - started_at)::float8 * 1000) FILTER (WHERE status = 'succeeded') AS run_p50_ms,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - started_at)::float8 * 1000) FILTER (WHERE status = 'succeeded') AS run_p99_ms,
              (count(*) FILTER (WHERE status <> 'succeeded'))::int AS unsuccessful
         FROM jobs WHERE prompt = $1`,
      [prompt, startedAt + latencyMs, endedAt],
    );
    const row = rows[0];
    // No job can complete in the first latency of the run: the steady part starts after it.
    const jobsPerSecond = round(row.steady / ((endedAt - startedAt - latencyMs) / 1000), 2);
    const wallSeconds = (endedAt - startedAt) / 1000;
    const ratio = round(jobsPerSecond / ideal, 3);
    const measured: ScaleRow = {
      workers: count,
      concurrency,
      idealJobsPerSecond: round(ideal, 2),
      jobsPerSecond,
      ratio,
      completionP50Ms: Math.round(row.p50_ms),
      completionP99Ms: Math.round(row.p99_ms),
      runP50Ms: Math.round(row.run_p50_ms),
      runP99Ms: Math.round(row.run_p99_ms),
      failed: row.unsuccessful + result.failed,
      serviceCpuShare: round((cpu.service - cpuBefore.service) / (wallSeconds * cpus().length), 3),
      machineCpuShare: round((cpu.machine - cpuBefore.machine) / (wallSeconds * cpus().length), 3),
      pass: ratio >= SCALE_TARGET,
    };
    log(`  ${jobsPerSecond} jobs/s of ${measured.idealJobsPerSecond} (${ratio}×), run p50 ${measured.runP50Ms} ms`);
    return measured;
  }

  /** Waits until every job of the run is terminal (the in-flight ones when the load stopped). */
  private async drain(): Promise<void> {
    const deadline = Date.now() + this.options.settleTimeoutMs;
    for (;;) {
      const { rows } = await this.resources
        .database()
        .query<{ open: number }>('SELECT count(*)::int AS open FROM jobs WHERE status <> ALL($1::text[])', [TERMINAL]);
      if (rows[0].open === 0) return;
      if (Date.now() > deadline) throw new Error(`${rows[0].open} jobs not terminal after the run`);
      await sleep(100);
    }
  }

  private cpuSeconds(processes: BenchProcess[]): { service: number; machine: number } {
    return {
      service: processes.reduce((sum, child) => sum + child.cpuSeconds(), 0),
      machine: machineBusySeconds(),
    };
  }

  private environment(port: number, healthPort: number): NodeJS.ProcessEnv {
    return serviceEnvironment({
      port,
      healthPort,
      databaseUrl: this.resources.databaseUrl,
      poolSize: this.options.poolSize,
      redisUrl: this.options.redisUrl,
      prefix: this.options.queuePrefix,
      mediaDir: this.mediaRoot,
      concurrency: this.options.concurrency,
      mockLatencyMs: this.options.latencyMs,
    });
  }
}

export function formatScaleTable(rows: ScaleRow[]): string {
  const cells = [
    [
      'workers',
      'concurrency',
      'ideal jobs/s',
      'jobs/s',
      'ratio',
      'completion p50 / p99 ms',
      'run p50 / p99 ms',
      'failed',
      'service CPU',
      'machine CPU',
      'verdict',
    ],
    ...rows.map((row) => [
      String(row.workers),
      String(row.concurrency),
      String(row.idealJobsPerSecond),
      String(row.jobsPerSecond),
      `${row.ratio.toFixed(2)}×`,
      `${row.completionP50Ms} / ${row.completionP99Ms}`,
      `${row.runP50Ms} / ${row.runP99Ms}`,
      String(row.failed),
      `${Math.round(row.serviceCpuShare * 100)} %`,
      `${Math.round(row.machineCpuShare * 100)} %`,
      row.pass ? 'PASS' : 'FAIL',
    ]),
  ];
  const widths = cells[0].map((_, column) => Math.max(...cells.map((line) => line[column].length)));
  return cells.map((line) => line.map((cell, column) => cell.padStart(widths[column])).join('  ')).join('\n');
}

/** The `scale` role of run-bench: runs, prints the table, writes the results file, sets the exit code. */
export async function runScaleBench(): Promise<void> {
  const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  const options: ScaleOptions = {
    postgresUrl: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    database: process.env.BENCH_SCALE_DATABASE ?? 'mediagen_bench_scale',
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    queuePrefix: process.env.BENCH_SCALE_QUEUE_PREFIX ?? 'mediagen-bench-scale',
    workerCounts: (process.env.BENCH_SCALE_WORKERS ?? '1,2,4').split(',').map(Number),
    concurrency: number('BENCH_SCALE_CONCURRENCY', 8),
    clientsPerSlot: number('BENCH_SCALE_CLIENTS_PER_SLOT', 2),
    latencyMs: number('BENCH_SCALE_LATENCY_MS', 1000),
    durationSeconds: number('BENCH_SCALE_DURATION_S', 30),
    warmupSeconds: number('BENCH_SCALE_WARMUP_S', 3),
    poolSize: number('BENCH_POOL_SIZE', 10),
    settleTimeoutMs: number('BENCH_SETTLE_TIMEOUT_MS', 90_000),
    log: (line) => process.stdout.write(`${line}\n`),
  };
  const bench = new ScaleBench(options);
  const started = Date.now();
  await runThenClean(bench, async () => {
    const rows = await bench.run();
    const pass = rows.every((row) => row.pass && row.failed === 0);
    process.stdout.write(
      `\n${formatScaleTable(rows)}\n\ntarget ≥ ${SCALE_TARGET}× ideal at every worker count; verdict  ${pass ? 'PASS' : 'FAIL'}\n`,
    );
    await writeResults(RESULTS_FILE, started, options, { target: SCALE_TARGET, rows, pass });
  });
}
