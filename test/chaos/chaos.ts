import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { Client } from 'pg';
import { ensureDatabaseExists } from '../../libs/database/src/ensure-database';
import { migrate } from '../../libs/database/src/migrate';
import { dropDatabase, freePort, withPath } from '../support/scratch-resources';
import { API_ENTRY, type LogLine, ServiceProcess, WORKER_ENTRY } from './service-processes';

export interface ChaosOptions {
  jobs: number;
  workers: number;
  /** Mock generator latency and transient failure rate. */
  latencyMs: number;
  failureRate: number;
  faults: { sigkill: boolean; sigterm: boolean; redisFlush: boolean; cutDatabase: boolean };
  /** PostgreSQL server URL without a database; the run uses (and drops) its own database. */
  postgresUrl: string;
  database: string;
  /** Redis database index the run owns (it is flushed). */
  redisUrl: string;
  settleTimeoutMs: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  submitted: number;
  rejected: number;
  retried: number;
  succeeded: number;
  failedByPolicy: number;
  lost: number;
  stuck: number;
  duplicated: number;
  badOutputs: number;
  badAttempts: number;
  faults: string[];
  seconds: number;
}

interface JobRow {
  id: string;
  status: string;
  attempts: number;
  max_attempts: number;
  error: { code: string; retryable: boolean } | null;
  outputs: { file: string; bytes: number; sha256: string }[];
}

const TERMINAL = ['succeeded', 'failed', 'canceled'];

/**
 * Starts the api and several workers as separate OS processes against real PostgreSQL and Redis,
 * submits jobs, injects faults while they run (SIGKILL, SIGTERM, Redis data loss, cut database
 * connections), restarts what it stopped, then checks from the database and the media folder
 * that every accepted job ended exactly once with exactly its outputs.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const databaseUrl = withPath(options.postgresUrl, `/${options.database}`);
  const mediaDir = join(tmpdir(), `mediagen-chaos-${process.pid}-${Date.now()}`);
  const port = await freePort();
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  await redis.flushdb();
  await dropDatabase(options.postgresUrl, options.database);
  await ensureDatabaseExists(databaseUrl);
  await migrate({ url: databaseUrl, poolSize: 2 });

  const successes = new Map<string, number>();
  const onLog = (name: string, line: LogLine) => {
    if (line.msg === 'Attempt succeeded' && line.jobId) successes.set(line.jobId, (successes.get(line.jobId) ?? 0) + 1);
    if (typeof line.level === 'number' && line.level >= 50) {
      const err = line.err as { message?: string } | undefined;
      log(`[${name}] ${line.msg ?? ''}${err?.message ? `: ${err.message}` : ''}`);
    }
  };
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: 'chaos',
    STORAGE_LOCAL_DIR: mediaDir,
    GENERATOR: 'mock',
    MOCK_LATENCY_MS: String(options.latencyMs),
    MOCK_FAILURE_RATE: String(options.failureRate),
    JOB_ATTEMPTS: '3',
    JOB_BACKOFF_MS: '200',
    WORKER_CONCURRENCY: '8',
    WORKER_HEALTH_PORT: '0',
    SUBMIT_RATE_LIMIT_PER_MINUTE: '0',
    WORKER_SHUTDOWN_TIMEOUT_MS: '1000',
    WORKER_LOCK_DURATION_MS: '4000',
    WORKER_STALLED_INTERVAL_MS: '2000',
    SWEEP_INTERVAL_MS: '1000',
    SWEEP_QUEUED_AGE_MS: '2000',
    SWEEP_PROCESSING_AGE_MS: '5000',
    LOG_LEVEL: 'info',
  };
  const api = new ServiceProcess('api', API_ENTRY, env, onLog);
  const workers = Array.from(
    { length: options.workers },
    (_, index) => new ServiceProcess(`worker-${index + 1}`, WORKER_ENTRY, env, onLog),
  );
  const faults: string[] = [];
  const baseUrl = `http://127.0.0.1:${port}`;

  try {
    api.start();
    for (const worker of workers) worker.start();
    await waitForApi(baseUrl);
    log(`api on ${baseUrl}, ${workers.length} workers; submitting ${options.jobs} jobs`);

    const submitting = submitAll(baseUrl, options.jobs);
    const injecting = injectFaults(options, workers, redis, faults, log);
    const [submissions] = await Promise.all([submitting, injecting]);
    for (const worker of workers) if (!worker.running) worker.start();
    log(
      `${submissions.accepted.length} accepted (${submissions.retried} retries after 503); waiting for every job to end`,
    );

    const rows = await waitUntilSettled(databaseUrl, submissions.accepted, options.settleTimeoutMs);
    return await verify(rows, submissions, successes, mediaDir, faults, started);
  } finally {
    await Promise.all([api, ...workers].map((service) => service.stop('SIGTERM')));
    redis.disconnect();
    await rm(mediaDir, { recursive: true, force: true });
    await dropDatabase(options.postgresUrl, options.database);
  }
}

async function injectFaults(
  options: ChaosOptions,
  workers: ServiceProcess[],
  redis: Redis,
  faults: string[],
  log: (line: string) => void,
): Promise<void> {
  const note = (fault: string) => {
    faults.push(fault);
    log(`fault: ${fault}`);
  };
  await sleep(500);
  if (options.faults.sigkill) {
    note(`SIGKILL ${workers[0].name}: ${await workers[0].stop('SIGKILL')}`);
    await sleep(500);
    workers[0].start();
  }
  if (options.faults.sigterm && workers.length > 1) {
    note(`SIGTERM ${workers[1].name}: ${await workers[1].stop('SIGTERM')}`);
    await sleep(500);
    workers[1].start();
  }
  if (options.faults.redisFlush) {
    await sleep(300);
    await redis.flushdb();
    note('FLUSHDB on the queue Redis (all queue data lost)');
  }
  if (options.faults.cutDatabase) {
    await sleep(300);
    const cut = await terminateConnections(options.postgresUrl, options.database);
    note(`pg_terminate_backend on ${cut} database connections`);
  }
}

interface Submissions {
  accepted: string[];
  /** Answers that were neither 202 nor a 503 to retry: a broken promise to the client. */
  rejected: number;
  /** 503 answers (database briefly unreachable), retried as a client should. */
  retried: number;
}

async function submitAll(baseUrl: string, count: number): Promise<Submissions> {
  const result: Submissions = { accepted: [], rejected: 0, retried: 0 };
  let next = 0;
  const submit = async (index: number) => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const response = await fetch(`${baseUrl}/v1/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: `chaos job ${index}`, input: { width: 32, height: 32, seed: index } }),
      });
      if (response.status === 202) {
        result.accepted.push(((await response.json()) as { id: string }).id);
        return;
      }
      await response.body?.cancel();
      if (response.status !== 503) break;
      result.retried += 1;
      await sleep(200);
    }
    result.rejected += 1;
  };
  const sender = async () => {
    while (next < count) await submit(next++);
  };
  await Promise.all(Array.from({ length: 8 }, sender));
  return result;
}

async function waitUntilSettled(databaseUrl: string, ids: string[], timeoutMs: number): Promise<JobRow[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await client.query<JobRow>(
        'SELECT id, status, attempts, max_attempts, error, outputs FROM jobs WHERE id = ANY($1::uuid[])',
        [ids],
      );
      const open = rows.filter((row) => !TERMINAL.includes(row.status)).length;
      if (open === 0 || Date.now() > deadline) return rows;
      await sleep(500);
    }
  } finally {
    await client.end();
  }
}

async function verify(
  rows: JobRow[],
  { accepted, rejected, retried }: Submissions,
  successes: Map<string, number>,
  mediaDir: string,
  faults: string[],
  started: number,
): Promise<ChaosReport> {
  let badOutputs = 0;
  let badAttempts = 0;
  for (const row of rows) {
    if (row.status === 'succeeded' && !(await outputsMatch(mediaDir, row))) badOutputs += 1;
    const attemptsOk =
      row.attempts >= 1 &&
      row.attempts <= row.max_attempts &&
      (row.status !== 'failed' || row.attempts === row.max_attempts || row.error?.retryable === false);
    if (TERMINAL.includes(row.status) && !attemptsOk) badAttempts += 1;
  }
  return {
    submitted: accepted.length,
    rejected,
    retried,
    succeeded: rows.filter((row) => row.status === 'succeeded').length,
    failedByPolicy: rows.filter((row) => row.status === 'failed').length,
    lost: accepted.length - rows.length,
    stuck: rows.filter((row) => !TERMINAL.includes(row.status)).length,
    duplicated: [...successes.values()].filter((count) => count > 1).length,
    badOutputs,
    badAttempts,
    faults,
    seconds: Math.round((Date.now() - started) / 1000),
  };
}

/** The job's folder holds exactly its recorded outputs, byte for byte. */
async function outputsMatch(mediaDir: string, row: JobRow): Promise<boolean> {
  const folder = join(mediaDir, row.id);
  const files = await readdir(folder).catch(() => []);
  if (
    row.outputs.length === 0 ||
    files.sort().join() !==
      row.outputs
        .map((output) => output.file)
        .sort()
        .join()
  ) {
    return false;
  }
  for (const output of row.outputs) {
    const body = await readFile(join(folder, output.file));
    if (body.length !== output.bytes || createHash('sha256').update(body).digest('hex') !== output.sha256) return false;
  }
  return true;
}

export function isClean(report: ChaosReport): boolean {
  return (
    report.lost === 0 &&
    report.stuck === 0 &&
    report.duplicated === 0 &&
    report.badOutputs === 0 &&
    report.badAttempts === 0 &&
    report.rejected === 0 &&
    report.submitted > 0
  );
}

export function formatReport(report: ChaosReport): string {
  const rows: [string, string | number][] = [
    ['jobs submitted (202)', report.submitted],
    ['submissions rejected', report.rejected],
    ['503 answers retried', report.retried],
    ['succeeded', report.succeeded],
    ['failed by policy', report.failedByPolicy],
    ['lost', report.lost],
    ['stuck', report.stuck],
    ['completed twice', report.duplicated],
    ['outputs not matching disk', report.badOutputs],
    ['inconsistent attempts', report.badAttempts],
    ['seconds', report.seconds],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    ...report.faults.map((fault) => `fault  ${fault}`),
    ...rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`),
    `verdict  ${isClean(report) ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

async function waitForApi(baseUrl: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const response = await fetch(`${baseUrl}/v1/status/00000000-0000-4000-8000-000000000000`).catch(() => null);
    if (response?.status === 404) return;
    await sleep(200);
  }
  throw new Error('the api did not come up within 30 s');
}

async function terminateConnections(postgresUrl: string, database: string): Promise<number> {
  const client = new Client({ connectionString: withPath(postgresUrl, '/postgres') });
  await client.connect();
  try {
    const result = await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return result.rowCount ?? 0;
  } finally {
    await client.end();
  }
}
