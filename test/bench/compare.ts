import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import type { Client } from 'pg';
import { freePort } from '../support/loopback';
import { medianOf, rotated, round, serviceEnvironment, waitForHttp } from './bench';
import { BenchRun } from './bench-run';
import { type LoadRequest, type LoadResult, load } from './load';
import { type BenchProcess, cpuSecondsOf, postgresCpuBetween, postgresCpuByPid, threadCpuSeconds } from './processes';
import { CREATE_REFERENCE_TABLE, READY_LINE, REFERENCE_QUEUE, REFERENCE_TABLE } from './reference';

// `npm run bench -- compare before=../old-checkout after=. reference`: each built checkout (and,
// with the word `reference`, the reference) queues the same batch of jobs through its api, has the
// api read each job's status once, then its worker runs the batch alone; one system after the
// other, round after round (each round starting with the next system), so drift on a noisy
// machine spreads over all of them. It prints the median per system of the api's CPU per submit
// and per status read, and of jobs per second and CPU per job: the worker's, by thread (main, V8's
// GC helpers, libuv's pool), and PostgreSQL's. For changes too small for `npm run bench` to show
// in one run.

const INPUT = { width: 16, height: 16 };
/** Measured between these shares of the batch done: start-up and the tail are left out. */
const FROM_SHARE = 0.1;
const TO_SHARE = 0.9;
/** Clients of the api phases. */
const CONNECTIONS = 16;

export interface CompareOptions {
  postgresUrl: string;
  database: string;
  redisUrl: string;
  queuePrefix: string;
  rounds: number;
  jobs: number;
  concurrency: number;
  poolSize: number;
  log: (line: string) => void;
}

interface Contender {
  name: string;
  apiArgs: string[];
  workerArgs: string[];
  table: string;
  queue: string;
  /** How to tell that a started process serves. */
  ready(process: BenchProcess, port: number): Promise<void>;
}

export type CompareRow = { system: string } & Record<Measure, number>;
type Measure = 'submitApiMs' | 'statusApiMs' | 'jobsPerSecond' | 'cpuMs' | 'postgresMs' | ThreadKind;
type ThreadKind = 'main' | 'gc' | 'libuv';

export class CompareBench {
  private readonly mediaRoot = join(tmpdir(), 'mediagen-bench-compare');
  private readonly resources: BenchRun;
  private readonly contenders: Contender[];

  constructor(
    private readonly options: CompareOptions,
    systems: string[],
  ) {
    this.contenders = systems.map(contender);
    this.resources = new BenchRun({
      postgresUrl: options.postgresUrl,
      database: options.database,
      redisUrl: options.redisUrl,
      prefixes: this.contenders.map((_, index) => `${options.queuePrefix}-${index}`),
      mediaRoot: this.mediaRoot,
    });
  }

  async run(): Promise<CompareRow[]> {
    const db = await this.resources.open();
    await db.query(CREATE_REFERENCE_TABLE);
    const rounds = new Map<string, CompareRow[]>(this.contenders.map(({ name }) => [name, []]));
    const turns = this.contenders.map((contender, index) => ({
      contender,
      prefix: `${this.options.queuePrefix}-${index}`,
    }));
    for (let round = 1; round <= this.options.rounds; round += 1) {
      // Each round starts with the next system: the first of a round runs while the disk still
      // works off what the round before removed, and no system should always be the one to pay.
      for (const { contender, prefix } of rotated(turns, round - 1)) {
        const row = await this.measure(db, contender, prefix);
        this.options.log(`round ${round} ${format(row)}`);
        rounds.get(contender.name)?.push(row);
      }
    }
    return [...rounds.values()].map(median);
  }

  cleanup(): Promise<void> {
    return this.resources.cleanup();
  }

  private async measure(db: Client, contender: Contender, prefix: string): Promise<CompareRow> {
    const { jobs, concurrency, poolSize, redisUrl } = this.options;
    const empty = async () => {
      await db.query(`TRUNCATE ${contender.table} CASCADE`);
      const queue = new Queue(contender.queue, { connection: { url: redisUrl }, prefix });
      await queue.obliterate({ force: true }).finally(() => queue.close());
    };
    await empty();

    const [port, healthPort] = [await freePort(), await freePort()];
    const mediaDir = join(this.mediaRoot, contender.name);
    // The reference reads the same variables.
    const env = serviceEnvironment({
      port,
      healthPort,
      databaseUrl: this.resources.databaseUrl,
      poolSize,
      redisUrl,
      prefix,
      mediaDir,
      concurrency,
      mockLatencyMs: 0,
    });
    const api = this.resources.process(`${contender.name} api`, contender.apiArgs, env);
    api.start();
    await contender.ready(api, port);
    const apiUrl = `http://127.0.0.1:${port}`;
    const submit = {
      method: 'POST' as const,
      path: '/v1/generate',
      body: JSON.stringify({ prompt: 'bench compare', input: INPUT }),
    };
    const ids = async () =>
      (await db.query<{ id: string }>(`SELECT id FROM ${contender.table}`)).rows.map(({ id }) => id);
    const status = (of: string[]) => {
      let next = 0;
      return { method: 'GET' as const, path: () => `/v1/status/${of[next++ % of.length]}` };
    };
    const drive = (request: LoadRequest, amount: number) => load(apiUrl, request, { connections: CONNECTIONS, amount });
    // A first pass over both routes has the api's code compiled; its jobs are then removed.
    await drive(submit, jobs);
    await drive(status(await ids()), jobs * 2);
    await empty();
    const submitApiMs = await apiCpuPerRequest(api, () => drive(submit, jobs));
    const queued = status(await ids());
    const statusApiMs = await apiCpuPerRequest(api, () => drive(queued, jobs * 2));
    await api.stop();

    const worker = this.resources.process(`${contender.name} worker`, contender.workerArgs, env);
    worker.start();
    const done = async () =>
      (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${contender.table} WHERE status = 'succeeded'`))
        .rows[0].n;
    const snapshot = async () => ({
      at: performance.now(),
      done: await done(),
      threads: threadCpuSeconds(worker.pid ?? 0),
      postgres: await postgresCpuByPid(db),
    });
    const before = await this.until(done, jobs * FROM_SHARE).then(snapshot);
    const after = await this.until(done, jobs * TO_SHARE).then(snapshot);
    await this.until(done, jobs);
    await worker.stop();

    const count = after.done - before.done;
    const perJob = (seconds: number) => round((seconds * 1000) / count, 3);
    const thread = (kind: ThreadKind) => perJob(after.threads[kind] - before.threads[kind]);
    return {
      system: contender.name,
      submitApiMs,
      statusApiMs,
      jobsPerSecond: round(count / ((after.at - before.at) / 1000), 1),
      cpuMs: perJob(after.threads.total - before.threads.total),
      main: thread('main'),
      gc: thread('gc'),
      libuv: thread('libuv'),
      postgresMs: perJob(postgresCpuBetween(before.postgres, after.postgres)),
    };
  }

  private async until(done: () => Promise<number>, count: number): Promise<void> {
    while ((await done()) < count) await sleep(20);
  }
}

/** The api's CPU time per request answered with a 2xx while `drive` runs, in milliseconds. */
async function apiCpuPerRequest(api: BenchProcess, drive: () => Promise<LoadResult>): Promise<number> {
  const before = cpuSecondsOf(api.pid ?? 0);
  const result = await drive();
  if (result.failed > 0)
    throw new Error(`${api.name}: ${result.failed} requests failed (${JSON.stringify(result.statusCodes)})`);
  return round(((cpuSecondsOf(api.pid ?? 0) - before) * 1000) / result.ok, 4);
}

/** `reference`, or `name=checkout`: a built checkout of the service (its package.json start scripts). */
function contender(system: string): Contender {
  if (system === 'reference') {
    const entry = join(__dirname, 'run-bench.js');
    const ready = async (process: BenchProcess) => void (await process.waitForLine(new RegExp(READY_LINE), 30_000));
    return {
      name: 'reference',
      apiArgs: [entry, 'reference-api'],
      workerArgs: [entry, 'reference-worker'],
      table: REFERENCE_TABLE,
      queue: REFERENCE_QUEUE,
      ready,
    };
  }
  const [name, checkout] = system.split('=');
  if (!name || !checkout) throw new Error(`not a system: ${JSON.stringify(system)} (name=checkout or reference)`);
  const { scripts } = JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const start = (script: string) =>
    scripts[script]
      .split(' ')
      .slice(1)
      .map((arg) => (arg.startsWith('-') ? arg : resolve(checkout, arg)));
  return {
    name,
    apiArgs: start('start:api'),
    workerArgs: start('start:worker'),
    table: 'jobs',
    queue: 'generation',
    ready: (process, port) => waitForHttp(`http://127.0.0.1:${port}/health/ready`, process),
  };
}

function median(rows: CompareRow[]): CompareRow {
  const middle = (key: Measure) => medianOf(rows, (row) => row[key]);
  return {
    system: rows[0].system,
    submitApiMs: middle('submitApiMs'),
    statusApiMs: middle('statusApiMs'),
    jobsPerSecond: middle('jobsPerSecond'),
    cpuMs: middle('cpuMs'),
    main: middle('main'),
    gc: middle('gc'),
    libuv: middle('libuv'),
    postgresMs: middle('postgresMs'),
  };
}

export function format(row: CompareRow): string {
  return (
    `${row.system.padEnd(12)} api ${row.submitApiMs} ms/submit, ${row.statusApiMs} ms/status read  ` +
    `${String(row.jobsPerSecond).padStart(7)} jobs/s  worker ${row.cpuMs} ms/job ` +
    `(main ${row.main}, gc ${row.gc}, libuv ${row.libuv})  postgres ${row.postgresMs} ms/job`
  );
}
