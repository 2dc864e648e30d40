import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { ensureDatabaseExists } from '../../libs/database/src/ensure-database';
import { migrate } from '../../libs/database/src/migrate';
import { freePort } from '../support/loopback';
import { deleteKeys } from '../support/redis-keys';
import { dropDatabase, withPath } from '../support/scratch-databases';
import type { OwnServer } from './own-servers';
import { API_ENTRY, type LogLine, ServiceProcess, WORKER_ENTRY } from './service-processes';

export interface ChaosOptions {
  jobs: number;
  workers: number;
  /** Mock generator latency and transient failure rate. */
  latencyMs: number;
  failureRate: number;
  /** `redisDataLoss` deletes every key of the run's prefix at once, as a Redis that lost its data. */
  faults: { sigkill: boolean; sigterm: boolean; redisDataLoss: boolean; cutDatabase: boolean };
  /**
   * Servers the run owns (see own-servers.ts): each is stopped for `outageMs` and started again
   * while jobs run, a real PostgreSQL restart and a Redis restart that loses every key.
   */
  restarts?: { postgres: OwnServer; redis: OwnServer; outageMs: number };
  /** PostgreSQL server URL without a database; the run uses (and drops) its own database. */
  postgresUrl: string;
  database: string;
  redisUrl: string;
  /** The run's own Redis key prefix (QUEUE_PREFIX): only keys under it are deleted. */
  queuePrefix: string;
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
  /** `failed` although attempts were left and the error was retryable: a broken promise. */
  failedWithAttemptsLeft: number;
  /** Files left for a job that did not succeed (it must keep none). */
  orphanFiles: number;
  /** Log lines that were not structured JSON but carried an error (say, a raw ECONNREFUSED trace). */
  rawErrorLines: number;
  /** Structured "Redis unreachable at … (REDIS_URL)" lines: one per back-off step and process. */
  redisBackoffLines: number;
  faults: string[];
  seconds: number;
}

interface JobRow {
  id: string;
  status: string;
  attempts: number;
  max_attempts: number;
  error: { code: string; retryable: boolean } | null;
  outputs: { file: string; storedAs?: string; bytes: number; sha256: string }[];
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
  await deleteKeys(`${options.queuePrefix}:*`, options.redisUrl);
  await dropDatabase(databaseUrl);
  await ensureDatabaseExists(databaseUrl);
  await migrate({ url: databaseUrl, poolSize: 2 });

  const successes = new Map<string, number>();
  let rawErrorLines = 0;
  let redisBackoffLines = 0;
  const onLog = (name: string, line: LogLine) => {
    if (line.msg?.startsWith('Redis unreachable at ')) redisBackoffLines += 1;
    if (line.level === undefined && /error|ECONN/i.test(line.msg ?? '')) {
      rawErrorLines += 1;
      log(`[${name}] raw: ${line.msg}`);
    }
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
    QUEUE_PREFIX: options.queuePrefix,
    STORAGE_LOCAL_DIR: mediaDir,
    GENERATOR: 'mock',
    MOCK_LATENCY_MS: String(options.latencyMs),
    MOCK_FAILURE_RATE: String(options.failureRate),
    JOB_ATTEMPTS: '3',
    JOB_BACKOFF_MS: '200',
    // Outage checks back off to a minute; a run's outages last seconds.
    JOB_INFRASTRUCTURE_OUTAGE_MAX_MS: String(10 * 60_000),
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
    const injecting = injectFaults(options, workers, faults, log);
    const [submissions] = await Promise.all([submitting, injecting]);
    for (const worker of workers) if (!worker.running) worker.start();
    log(
      `${submissions.accepted.length} accepted (${submissions.retried} answers retried); waiting for every job to end`,
    );

    const rows = await waitUntilSettled(databaseUrl, submissions.accepted, options.settleTimeoutMs);
    return {
      ...(await verify(rows, submissions, successes, mediaDir, faults, started)),
      rawErrorLines,
      redisBackoffLines,
    };
  } finally {
    await Promise.all([api, ...workers].map((service) => service.stop('SIGTERM')));
    await deleteKeys(`${options.queuePrefix}:*`, options.redisUrl).catch(() => 0);
    await rm(mediaDir, { recursive: true, force: true });
    await dropDatabase(databaseUrl);
  }
}

async function injectFaults(
  options: ChaosOptions,
  workers: ServiceProcess[],
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
  if (options.faults.redisDataLoss) {
    await sleep(300);
    const deleted = await deleteKeys(`${options.queuePrefix}:*`, options.redisUrl);
    note(`deleted all ${deleted} keys of the queue prefix (all queue data lost)`);
  }
  if (options.faults.cutDatabase) {
    await sleep(300);
    const cut = await terminateConnections(options.postgresUrl, options.database);
    note(`pg_terminate_backend on ${cut} database connections`);
  }
  if (options.restarts) {
    const { postgres, redis: redisServer, outageMs } = options.restarts;
    await sleep(300);
    note(`PostgreSQL stopped (pg_ctl stop -m fast) for ${outageMs} ms, then started`);
    await postgres.outage(outageMs);
    await sleep(1000);
    note(`Redis killed (no persistence: every key lost) for ${outageMs} ms, then started`);
    await redisServer.outage(outageMs);
  }
}

interface Submissions {
  accepted: string[];
  /** Submissions never accepted (a 4xx, or no 2xx within the client's patience): a broken promise. */
  rejected: number;
  /** Answers retried as a careful client does (503, other 5xx, connection errors). */
  retried: number;
}

/** How long the careful client keeps retrying one submission (outages last seconds). */
const SUBMIT_PATIENCE_MS = 60_000;

/**
 * Submits `count` jobs as a careful client: each with its own Idempotency-Key, retried with the
 * same key after a 5xx or a connection error until accepted, so a submission whose answer was
 * lost is still accepted exactly once.
 */
async function submitAll(baseUrl: string, count: number): Promise<Submissions> {
  const result: Submissions = { accepted: [], rejected: 0, retried: 0 };
  const run = `${process.pid}-${Date.now()}`;
  let next = 0;
  const submit = async (index: number) => {
    const deadline = Date.now() + SUBMIT_PATIENCE_MS;
    while (Date.now() < deadline) {
      const response = await fetch(`${baseUrl}/v1/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `chaos-${run}-${index}` },
        body: JSON.stringify({ prompt: `chaos job ${index}`, input: { width: 32, height: 32, seed: index } }),
        signal: AbortSignal.timeout(15_000),
      }).catch(() => null);
      if (response?.ok) {
        result.accepted.push(((await response.json()) as { id: string }).id);
        return;
      }
      await response?.body?.cancel();
      if (response && response.status < 500) break;
      result.retried += 1;
      await sleep(250);
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
): Promise<Omit<ChaosReport, 'rawErrorLines' | 'redisBackoffLines'>> {
  const unique = new Set(accepted);
  let badOutputs = 0;
  let badAttempts = 0;
  let failedWithAttemptsLeft = 0;
  let orphanFiles = 0;
  for (const row of rows) {
    if (row.status === 'succeeded' && !(await outputsMatch(mediaDir, row))) badOutputs += 1;
    if (TERMINAL.includes(row.status) && (row.attempts < 1 || row.attempts > row.max_attempts)) badAttempts += 1;
    if (row.status === 'failed' && row.attempts < row.max_attempts && row.error?.retryable !== false) {
      failedWithAttemptsLeft += 1;
    }
    if (row.status !== 'succeeded' && (await readdir(join(mediaDir, row.id)).catch(() => [])).length > 0) {
      orphanFiles += 1;
    }
  }
  return {
    submitted: unique.size,
    rejected: rejected + (accepted.length - unique.size),
    retried,
    succeeded: rows.filter((row) => row.status === 'succeeded').length,
    failedByPolicy: rows.filter((row) => row.status === 'failed').length,
    lost: unique.size - rows.length,
    stuck: rows.filter((row) => !TERMINAL.includes(row.status)).length,
    duplicated: [...successes.values()].filter((count) => count > 1).length,
    badOutputs,
    badAttempts,
    failedWithAttemptsLeft,
    orphanFiles,
    faults,
    seconds: Math.round((Date.now() - started) / 1000),
  };
}

/** Where the job's folder keeps an output: under the name of the attempt that wrote it. */
const storedName = (output: JobRow['outputs'][number]) => output.storedAs ?? output.file;

/** The job's folder holds exactly its recorded outputs, byte for byte. */
async function outputsMatch(mediaDir: string, row: JobRow): Promise<boolean> {
  const folder = join(mediaDir, row.id);
  const files = await readdir(folder).catch(() => []);
  if (row.outputs.length === 0 || files.sort().join() !== row.outputs.map(storedName).sort().join()) {
    return false;
  }
  for (const output of row.outputs) {
    const body = await readFile(join(folder, storedName(output)));
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
    report.failedWithAttemptsLeft === 0 &&
    report.orphanFiles === 0 &&
    report.rawErrorLines === 0 &&
    report.rejected === 0 &&
    report.submitted > 0
  );
}

export function formatReport(report: ChaosReport): string {
  const rows: [string, string | number][] = [
    ['jobs submitted (202)', report.submitted],
    ['submissions rejected', report.rejected],
    ['answers retried (5xx, refused)', report.retried],
    ['succeeded', report.succeeded],
    ['failed by policy', report.failedByPolicy],
    ['lost', report.lost],
    ['stuck', report.stuck],
    ['completed twice', report.duplicated],
    ['outputs not matching disk', report.badOutputs],
    ['inconsistent attempts', report.badAttempts],
    ['failed with attempts left', report.failedWithAttemptsLeft],
    ['files of unsuccessful jobs', report.orphanFiles],
    ['raw error lines in logs', report.rawErrorLines],
    ['Redis back-off lines (structured)', report.redisBackoffLines],
    ['seconds', report.seconds],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    ...report.faults.map((fault) => `fault  ${fault}`),
    ...rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`),
    `verdict  ${isClean(report) ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

/** A loaded 2-core CI machine (the rest of the suite runs beside it) can take this long to boot the api. */
const API_BOOT_TIMEOUT_MS = 60_000;

async function waitForApi(baseUrl: string): Promise<void> {
  const deadline = Date.now() + API_BOOT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const response = await fetch(`${baseUrl}/v1/status/00000000-0000-4000-8000-000000000000`).catch(() => null);
    if (response?.status === 404) return;
    await sleep(200);
  }
  throw new Error(`the api did not come up within ${API_BOOT_TIMEOUT_MS / 1000} s`);
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
