import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { freePort } from '../support/loopback';
import { BenchRun } from './bench-run';
import { type LoadResult, load } from './load';
import { type BenchProcess, cpuSecondsOf, machineBusySeconds, postgresCpuBetween, postgresCpuByPid } from './processes';
import { type ProfileSummary, profileDuring } from './profiler';
import {
  CREATE_REFERENCE_TABLE,
  LOOP_DELAY_REPORT,
  LOOP_DELAY_RESET,
  READY_LINE,
  REFERENCE_QUEUE,
  REFERENCE_TABLE,
} from './reference';

// Run from the repository root, as the npm scripts do; the apps must be built.
/** The node arguments of a package.json start script (its flags, then its entry), so the bench runs what users run. */
function startArguments(script: 'start:api' | 'start:worker'): string[] {
  const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  const [, ...args] = scripts[script].split(' ');
  return args.map((arg) => (arg.startsWith('-') ? arg : resolve(arg)));
}

export const API_START = startArguments('start:api');
export const WORKER_START = startArguments('start:worker');
/** This file's compiled sibling, which runs the reference roles when given one. */
const REFERENCE_ENTRY = join(__dirname, 'run-bench.js');

const GENERATION_QUEUE = 'generation';
const TERMINAL = ['succeeded', 'failed', 'canceled'];
/** Tiny images, so PNG rendering does not dominate what is measured. */
const INPUT = { width: 16, height: 16 };
/** The mock's default image (512×512): the phase that shows whether rendering blocks the worker's event loop. */
const DEFAULT_IMAGE_INPUT = {};
/** How many job ids the status phase rotates through. */
const STATUS_IDS = 10_000;

export interface BenchOptions {
  /** PostgreSQL server URL; the run creates (and drops) its own database on it. */
  postgresUrl: string;
  database: string;
  redisUrl: string;
  /** Key prefix of the run's queues (two of them: `<prefix>-service`, `<prefix>-reference`). */
  queuePrefix: string;
  connections: number;
  /** Length of each measured turn of submits or status reads. */
  durationSeconds: number;
  warmupSeconds: number;
  /** Jobs in each end-to-end turn. */
  jobs: number;
  /**
   * Turns each system takes in every measured phase, the systems taking turns and each round
   * starting with the next one; each figure reported is the median of a system's turns.
   */
  rounds: number;
  warmupJobs: number;
  /** Jobs run with the mock's default 512×512 image after the end-to-end phase. */
  defaultImageJobs: number;
  poolSize: number;
  concurrency: number;
  settleTimeoutMs: number;
  /** After the measured phases, CPU-profile each phase's load again and report where the time went. */
  profile: boolean;
  log: (line: string) => void;
}

/** CPU seconds so far, by process name, and of each PostgreSQL process by pid. */
interface CpuSnapshot {
  processes: Map<string, number>;
  postgres: Map<number, number>;
}

/** CPU time (user + system) per request or job, in milliseconds, by process. */
export interface CpuUse {
  api: number;
  worker: number;
  /** The PostgreSQL backends connected to the bench database, and the server's own processes. */
  postgres: number;
  /** The Redis server (when it runs on this machine: its pid is readable). */
  redis: number;
  /**
   * Share of the machine's CPU capacity used meanwhile by anything else than the processes
   * measured, PostgreSQL, Redis and the bench itself: above a few percent, other work competed
   * for the cores and the numbers are skewed.
   */
  otherShare: number;
}

export interface PhaseResult extends LoadResult {
  cpuMsPerRequest: CpuUse;
}

export interface EndToEndResult {
  /** Jobs accepted (2xx) out of those submitted. */
  accepted: number;
  succeeded: number;
  /** Time to submit them all. */
  submitSeconds: number;
  /** First created → last completed, from the database. */
  seconds: number;
  jobsPerSecond: number;
  completionP50Ms: number;
  completionP99Ms: number;
  cpuMsPerJob: CpuUse;
}

export interface DefaultImagesResult extends EndToEndResult {
  /** The worker's event-loop delay over the phase (perf_hooks.monitorEventLoopDelay via prom-client); 0 if unknown. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
}

export interface SystemResult {
  submit: PhaseResult;
  status: PhaseResult;
  endToEnd: EndToEndResult;
  defaultImages: DefaultImagesResult;
  /** Peak resident set under load, until a CPU profiler was attached. */
  peakRssMb: { api: number; worker: number };
  /** Peak resident set once a CPU profiler was attached (0 when not profiling): not counted above. */
  profiledPeakRssMb: { api: number; worker: number };
  /** Self-time summaries of the CPU profiles taken after the measured phases, by phase (when profiling). */
  profiles: Record<string, ProfileSummary>;
  /** Warning and error log lines (pino levels 40 and 50+) per process, with the first few messages. */
  logs: Record<string, { warnings: number; errors: number; messages: string[] }>;
}

interface System {
  name: 'service' | 'reference';
  table: string;
  prefix: string;
  api: BenchProcess;
  worker: BenchProcess;
  baseUrl: string;
  /** The worker's Prometheus endpoint (the service's only). */
  workerMetricsUrl?: string;
  waitForApi(): Promise<void>;
  waitForWorker(): Promise<void>;
}

/**
 * Measures the service (api + one worker, built, as OS processes) and a framework-free reference
 * doing the same work, one after the other, with the same load. Everything it creates (database,
 * Redis keys, media folders, processes) goes away at the end, also on failure or Ctrl-C.
 */
export class Bench {
  private readonly mediaRoot = join(tmpdir(), 'mediagen-bench');
  private readonly resources: BenchRun;
  private redisPid?: number;

  constructor(private readonly options: BenchOptions) {
    this.resources = new BenchRun({
      postgresUrl: options.postgresUrl,
      database: options.database,
      redisUrl: options.redisUrl,
      prefixes: ['service', 'reference'].map((system) => `${options.queuePrefix}-${system}`),
      mediaRoot: this.mediaRoot,
    });
  }

  async run(): Promise<{ service: SystemResult; reference: SystemResult }> {
    this.options.log(`fresh database ${this.options.database}`);
    const db = await this.resources.open();
    await db.query(CREATE_REFERENCE_TABLE);
    this.redisPid = await redisServerPid(this.options.redisUrl);

    const [service, reference] = await this.measure([await this.serviceSystem(), await this.referenceSystem()]);
    return { service, reference };
  }

  /** Stops every process, drops the database, deletes the run's Redis keys and media. Idempotent. */
  cleanup(): Promise<void> {
    return this.resources.cleanup();
  }

  private async serviceSystem(): Promise<System> {
    const [port, healthPort] = [await freePort(), await freePort()];
    const prefix = `${this.options.queuePrefix}-service`;
    const mediaDir = join(this.mediaRoot, 'service');
    const env = serviceEnvironment({
      port,
      healthPort,
      databaseUrl: this.resources.databaseUrl,
      poolSize: this.options.poolSize,
      redisUrl: this.options.redisUrl,
      prefix,
      mediaDir,
      concurrency: this.options.concurrency,
      mockLatencyMs: 0,
    });
    const baseUrl = `http://127.0.0.1:${port}`;
    const api = this.resources.process('service api', API_START, env, this.options.profile);
    const worker = this.resources.process('service worker', WORKER_START, env, this.options.profile);
    return {
      name: 'service',
      table: 'jobs',
      prefix,
      baseUrl,
      workerMetricsUrl: `http://127.0.0.1:${healthPort}/metrics`,
      api,
      worker,
      waitForApi: () => waitForHttp(`${baseUrl}/health/ready`, api),
      waitForWorker: () => waitForHttp(`http://127.0.0.1:${healthPort}/health/ready`, worker),
    };
  }

  private async referenceSystem(): Promise<System> {
    const port = await freePort();
    const prefix = `${this.options.queuePrefix}-reference`;
    const mediaDir = join(this.mediaRoot, 'reference');
    const env = processEnvironment({
      PORT: String(port),
      DATABASE_URL: this.resources.databaseUrl,
      DATABASE_POOL_SIZE: String(this.options.poolSize),
      REDIS_URL: this.options.redisUrl,
      QUEUE_PREFIX: prefix,
      STORAGE_LOCAL_DIR: mediaDir,
      WORKER_CONCURRENCY: String(this.options.concurrency),
    });
    const api = this.resources.process('reference api', [REFERENCE_ENTRY, 'reference-api'], env, this.options.profile);
    const worker = this.resources.process(
      'reference worker',
      [REFERENCE_ENTRY, 'reference-worker'],
      env,
      this.options.profile,
    );
    return {
      name: 'reference',
      table: REFERENCE_TABLE,
      prefix,
      baseUrl: `http://127.0.0.1:${port}`,
      api,
      worker,
      waitForApi: async () => void (await api.waitForLine(new RegExp(READY_LINE), 30_000)),
      waitForWorker: async () => void (await worker.waitForLine(new RegExp(READY_LINE), 30_000)),
    };
  }

  /**
   * Both systems, phase by phase, one right after the other in each phase, so that other load on
   * the machine drifting during the run skews both alike. Submit and status run with the apis
   * alone, so no worker competes for the two cores; then each system's table and queue are
   * emptied, both workers start and the end-to-end rounds follow, each system's queue empty
   * outside its own turns.
   */
  private async measure(systems: System[]): Promise<SystemResult[]> {
    const { connections, durationSeconds, warmupSeconds, log } = this.options;
    const profiling = this.options.profile;
    const timed = { connections, durationSeconds };
    const warm = { connections, durationSeconds: warmupSeconds };
    const phases = new Map<System, Partial<Pick<SystemResult, 'submit' | 'status' | 'endToEnd' | 'defaultImages'>>>(
      systems.map((system) => [system, {}]),
    );
    const profiles = new Map<System, Record<string, ProfileSummary>>(systems.map((system) => [system, {}]));
    /**
     * Takes a CPU profile of `child` while `run` runs. Profiles are taken after the measured phases,
     * never during them: a profiler costs CPU, and its samples and code map stay in the process's
     * memory afterwards (about 16 MB in the api), so a profile taken earlier would raise later figures.
     */
    const profile = async (system: System, phase: string, child: BenchProcess, run: () => Promise<unknown>) => {
      const { inspectorUrl } = child;
      if (!inspectorUrl) throw new Error(`${child.name} was started without an inspector`);
      child.stopCounting();
      (profiles.get(system) ?? {})[phase] = await profileDuring(inspectorUrl, run);
    };
    /**
     * Runs `prepare` (what must happen before a system's turn, e.g. emptying its table), then settles
     * writes, then `run`, for each system in `order`.
     */
    const phase = async (
      name: string,
      run: (system: System) => Promise<void>,
      prepare: (system: System) => Promise<void> = async () => undefined,
      order = systems,
    ) => {
      for (const system of order) {
        log(`${system.name}: ${name}`);
        await prepare(system);
        await this.settleWrites();
        await run(system);
      }
    };
    /**
     * Runs `turn` once per system in each of the rounds, each round starting with the next system:
     * one turn is seconds of work, and a disk stall or other load in it would decide a ratio.
     */
    const inRounds = async <T>(
      name: string,
      turn: (system: System, number: number) => Promise<T>,
    ): Promise<Map<System, T[]>> => {
      const turns = new Map<System, T[]>(systems.map((system) => [system, []]));
      for (let number = 1; number <= this.options.rounds; number++) {
        await phase(
          `${name}, round ${number} of ${this.options.rounds}`,
          async (system) => void turns.get(system)?.push(await turn(system, number)),
          undefined,
          rotated(systems, number - 1),
        );
      }
      return turns;
    };
    try {
      for (const system of systems) system.api.start();
      await Promise.all(systems.map((system) => system.waitForApi()));

      const submitRequest = { method: 'POST' as const, path: '/v1/generate', body: body('bench submit') };
      const statusRequest = async (system: System) => {
        const ids = await this.ids(system.table);
        let next = 0;
        return { method: 'GET' as const, path: () => `/v1/status/${ids[next++ % ids.length]}`, ids: ids.length };
      };
      await phase(`POST /v1/generate, ${warmupSeconds} s warm-up`, async (system) => {
        await load(system.baseUrl, submitRequest, warm);
      });
      const submits = await inRounds(`POST /v1/generate, ${durationSeconds} s`, async (system) => {
        const submit = await this.timed(system, () => load(system.baseUrl, submitRequest, timed));
        log(`  ${describe(submit)}`);
        return submit;
      });

      const statusRequests = new Map<System, Awaited<ReturnType<typeof statusRequest>>>();
      await phase(`GET /v1/status/{id}, ${warmupSeconds} s warm-up`, async (system) => {
        const request = await statusRequest(system);
        statusRequests.set(system, request);
        await load(system.baseUrl, request, warm);
      });
      const statuses = await inRounds(`GET /v1/status/{id}, ${durationSeconds} s`, async (system) => {
        const request = statusRequests.get(system);
        if (!request) throw new Error(`${system.name}: no status request`);
        const status = await this.timed(system, () => load(system.baseUrl, request, timed));
        log(`  ${describe(status)} (over ${request.ids} ids)`);
        return status;
      });

      const { warmupJobs, jobs, defaultImageJobs } = this.options;
      await phase(
        `end to end, ${warmupJobs} warm-up jobs`,
        async (system) => {
          system.worker.start();
          await system.waitForWorker();
          await this.endToEnd(system, warmupJobs, 'bench warm-up');
        },
        (system) => this.emptyQueue(system),
      );
      const endToEnds = await inRounds(`end to end, ${jobs} jobs`, async (system, number) => {
        const turn = await this.endToEnd(system, jobs, `bench end to end ${number}`);
        log(
          `  ${turn.jobsPerSecond} jobs/s, completion p50 ${turn.completionP50Ms} ms, p99 ${turn.completionP99Ms} ms`,
        );
        return turn;
      });

      const largeImages = await inRounds(`${defaultImageJobs} jobs at 512×512`, async (system, number) => {
        await eventLoopDelay(system);
        const turn = await this.endToEnd(
          system,
          defaultImageJobs,
          `bench default image ${number}`,
          DEFAULT_IMAGE_INPUT,
        );
        const loop = await eventLoopDelay(system);
        log(`  ${turn.jobsPerSecond} jobs/s, worker event-loop delay p99 ${loop.p99Ms} ms, max ${loop.maxMs} ms`);
        return { ...turn, eventLoopDelayP99Ms: loop.p99Ms, eventLoopDelayMaxMs: loop.maxMs };
      });
      for (const system of systems) {
        const turnsOf = <T>(results: Map<System, T[]>) => results.get(system) ?? [];
        Object.assign(phases.get(system) ?? {}, {
          submit: medianLoad(turnsOf(submits)),
          status: medianLoad(turnsOf(statuses)),
          endToEnd: medianTurn(turnsOf(endToEnds)),
          defaultImages: medianImageTurn(turnsOf(largeImages)),
        });
      }

      await phase(profiling ? 'CPU profile of the worker, then it stops' : 'the worker stops', async (system) => {
        if (profiling) {
          await profile(system, 'end to end: worker', system.worker, () =>
            this.endToEnd(system, warmupJobs, 'bench profile'),
          );
        }
        await system.worker.stop();
      });

      if (profiling) {
        await phase(
          `CPU profiles of the apis: ${warmupSeconds} s of submits, ${warmupSeconds} s of status reads`,
          async (system) => {
            await profile(system, 'submit: api', system.api, () => load(system.baseUrl, submitRequest, warm));
            const request = await statusRequest(system);
            await profile(system, 'status: api', system.api, () => load(system.baseUrl, request, warm));
          },
        );
      }
    } finally {
      await Promise.all(systems.flatMap((system) => [system.worker.stop(), system.api.stop()]));
    }
    return systems.map((system) => {
      const { api, worker } = system;
      const { submit, status, endToEnd, defaultImages } = phases.get(system) ?? {};
      if (!submit || !status || !endToEnd || !defaultImages) throw new Error(`${system.name}: a phase did not run`);
      return {
        submit,
        status,
        endToEnd,
        defaultImages,
        peakRssMb: { api: api.peakRssMb, worker: worker.peakRssMb },
        profiledPeakRssMb: { api: api.uncountedPeakRssMb, worker: worker.uncountedPeakRssMb },
        profiles: profiles.get(system) ?? {},
        logs: Object.fromEntries(
          [api, worker].map((child) => [
            child.name,
            { warnings: child.warnings, errors: child.errors, messages: [...child.messages] },
          ]),
        ),
      };
    });
  }

  private async endToEnd(
    system: System,
    jobs: number,
    prompt: string,
    input?: Record<string, unknown>,
  ): Promise<EndToEndResult> {
    const request = { method: 'POST' as const, path: '/v1/generate', body: body(prompt, input) };
    const cpuBefore = await this.cpuSnapshot(system);
    const submitted = await load(system.baseUrl, request, { connections: this.options.connections, amount: jobs });
    const deadline = Date.now() + this.options.settleTimeoutMs;
    const db = this.resources.database();
    for (;;) {
      const { rows } = await db.query<{ open: number }>(
        `SELECT count(*)::int AS open FROM ${system.table} WHERE prompt = $1 AND status <> ALL($2::text[])`,
        [prompt, TERMINAL],
      );
      if (rows[0].open === 0) break;
      if (Date.now() > deadline) {
        throw new Error(
          `${system.name}: ${rows[0].open} of ${prompt} jobs not terminal after ${this.options.settleTimeoutMs} ms`,
        );
      }
      await sleep(100);
    }
    const cpuMsPerJob = await this.cpuSince(system, cpuBefore, jobs);
    const { rows } = await db.query<{
      accepted: number;
      succeeded: number;
      span_ms: number;
      p50_ms: number;
      p99_ms: number;
    }>(
      `SELECT count(*)::int AS accepted,
              (count(*) FILTER (WHERE status = 'succeeded'))::int AS succeeded,
              extract(epoch FROM max(completed_at) - min(created_at))::float8 * 1000 AS span_ms,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at)::float8 * 1000) AS p50_ms,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at)::float8 * 1000) AS p99_ms
         FROM ${system.table} WHERE prompt = $1`,
      [prompt],
    );
    const row = rows[0];
    if (row.accepted !== submitted.ok) {
      throw new Error(`${system.name}: ${submitted.ok} submits answered 2xx but ${row.accepted} rows exist`);
    }
    return {
      accepted: row.accepted,
      succeeded: row.succeeded,
      submitSeconds: submitted.seconds,
      seconds: round(row.span_ms / 1000, 2),
      jobsPerSecond: round(row.accepted / (row.span_ms / 1000), 1),
      completionP50Ms: Math.round(row.p50_ms),
      completionP99Ms: Math.round(row.p99_ms),
      cpuMsPerJob,
    };
  }

  /** Runs a load and adds the CPU time each process spent per answered request. */
  private async timed(system: System, run: () => Promise<LoadResult>): Promise<PhaseResult> {
    const before = await this.cpuSnapshot(system);
    const result = await run();
    return { ...result, cpuMsPerRequest: await this.cpuSince(system, before, result.ok) };
  }

  /** CPU seconds so far of the system's processes and of each PostgreSQL backend on the bench database. */
  private async cpuSnapshot(system: System): Promise<CpuSnapshot> {
    const postgres = await postgresCpuByPid(this.resources.database());
    const bench = process.cpuUsage();
    const processes = new Map([
      ['api', system.api.cpuSeconds()],
      ['worker', system.worker.cpuSeconds()],
      ['bench', (bench.user + bench.system) / 1e6],
      ['redis', this.redisPid ? cpuSecondsOf(this.redisPid) : 0],
      ['machine', machineBusySeconds()],
      ['wall', performance.now() / 1000],
    ]);
    return { processes, postgres };
  }

  private async cpuSince(system: System, before: CpuSnapshot, count: number): Promise<CpuUse> {
    const after = await this.cpuSnapshot(system);
    const used = (key: string) => Math.max(0, (after.processes.get(key) ?? 0) - (before.processes.get(key) ?? 0));
    const postgres = postgresCpuBetween(before.postgres, after.postgres);
    const perItem = (seconds: number) => (count > 0 ? round((seconds * 1000) / count, 3) : 0);
    const ours = used('api') + used('worker') + used('bench') + used('redis') + postgres;
    const otherShare = Math.max(0, used('machine') - ours) / (used('wall') * cpus().length);
    return {
      api: perItem(used('api')),
      worker: perItem(used('worker')),
      postgres: perItem(postgres),
      redis: perItem(used('redis')),
      otherShare: round(otherShare, 3),
    };
  }

  private async ids(table: string): Promise<string[]> {
    const { rows } = await this.resources
      .database()
      .query<{ id: string }>(`SELECT id FROM ${table} LIMIT ${STATUS_IDS}`);
    if (rows.length === 0) throw new Error(`no job was stored in ${table} by the submit phase`);
    return rows.map((row) => row.id);
  }

  /**
   * Has PostgreSQL and the kernel write out what ran before (the other system's submits, a truncated
   * table), so that it is not written back while the next system is measured. Without it the order
   * of the systems showed: the service's end-to-end ratio was 0.67–0.69 when its jobs ran first and
   * 0.86–1.03 when the reference's did; settled before the jobs, 0.70–0.75 and 0.71–0.82.
   */
  private async settleWrites(): Promise<void> {
    try {
      await this.resources.database().query('CHECKPOINT');
    } catch (error) {
      // CHECKPOINT needs a superuser or pg_checkpoint; the kernel's write-back below still helps.
      this.options.log(`  (no CHECKPOINT: ${error instanceof Error ? error.message : String(error)})`);
    }
    await promisify(execFile)('sync');
  }

  /** Forgets the jobs of the submit phase: no row and no queue entry left for the worker to run. */
  private async emptyQueue(system: System): Promise<void> {
    await this.resources.database().query(`TRUNCATE ${system.table} CASCADE`);
    const queue = new Queue(system.name === 'service' ? GENERATION_QUEUE : REFERENCE_QUEUE, {
      connection: { url: this.options.redisUrl },
      prefix: system.prefix,
    });
    try {
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
    }
  }
}

function body(prompt: string, input: Record<string, unknown> = INPUT): string {
  return JSON.stringify({ prompt, input });
}

function describe(result: LoadResult): string {
  const failed = result.failed > 0 ? `, ${result.failed} failed (${JSON.stringify(result.statusCodes)})` : '';
  return `${result.requestsPerSecond} req/s, p50 ${result.latencyP50Ms} ms, p99 ${result.latencyP99Ms} ms, ${result.ok} ok${failed}`;
}

export async function waitForHttp(url: string, child: BenchProcess | undefined): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const response = await fetch(url).catch(() => null);
    await response?.body?.cancel();
    if (response?.status === 200) return;
    if (child && !child.running)
      throw new Error(`${child.name} exited before it was ready:\n${child.lines.join('\n')}`);
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 within 30 s:\n${child?.lines.join('\n') ?? ''}`);
}

/**
 * The worker's event-loop delay since the previous call (perf_hooks.monitorEventLoopDelay, 10 ms
 * resolution): the service's from prom-client's metrics, which each scrape reads and resets; the
 * reference's by signal (see reference.ts).
 */
async function eventLoopDelay(system: System): Promise<{ p99Ms: number; maxMs: number }> {
  if (!system.workerMetricsUrl) {
    const seen = system.worker.linesSeen;
    system.worker.signal(LOOP_DELAY_REPORT);
    const line = await system.worker.waitForLine(/"eventLoopDelay"/, 5000, seen);
    system.worker.signal(LOOP_DELAY_RESET);
    return (JSON.parse(line) as { eventLoopDelay: { p99Ms: number; maxMs: number } }).eventLoopDelay;
  }
  const text = await (await fetch(system.workerMetricsUrl)).text();
  const seconds = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? 0);
  return {
    p99Ms: round(seconds('nodejs_eventloop_lag_p99_seconds') * 1000, 1),
    maxMs: round(seconds('nodejs_eventloop_lag_max_seconds') * 1000, 1),
  };
}

/** The Redis server's process id, if it runs on this machine (so its CPU time can be read). */
async function redisServerPid(url: string): Promise<number | undefined> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const pid = Number(/^process_id:(\d+)/m.exec(await redis.info('server'))?.[1]);
    return pid && cpuSecondsOf(pid) > 0 ? pid : undefined;
  } finally {
    redis.disconnect();
  }
}

/** The environment of a bench run's processes: only what is given (and PATH, HOME), in production mode. */
export function processEnvironment(settings: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', ...settings };
}

/** The service's api and worker settings in a bench run: the mock generator, no submit limit, auth, Replicate, webhooks or dashboard. */
export function serviceEnvironment(settings: {
  port: number;
  healthPort: number;
  databaseUrl: string;
  poolSize: number;
  redisUrl: string;
  prefix: string;
  mediaDir: string;
  concurrency: number;
  mockLatencyMs: number;
}): NodeJS.ProcessEnv {
  return processEnvironment({
    PORT: String(settings.port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${settings.port}`,
    DATABASE_URL: settings.databaseUrl,
    DATABASE_POOL_SIZE: String(settings.poolSize),
    REDIS_URL: settings.redisUrl,
    QUEUE_PREFIX: settings.prefix,
    STORAGE_DRIVER: 'local',
    STORAGE_LOCAL_DIR: settings.mediaDir,
    GENERATOR: 'mock',
    MOCK_LATENCY_MS: String(settings.mockLatencyMs),
    MOCK_FAILURE_RATE: '0',
    WORKER_CONCURRENCY: String(settings.concurrency),
    WORKER_HEALTH_PORT: String(settings.healthPort),
    SUBMIT_RATE_LIMIT_PER_MINUTE: '0',
    // The default a user gets: one line per request and per job, their cost measured with the rest.
    LOG_LEVEL: 'info',
    // Whatever the caller's environment or a .env file holds: no auth, no Replicate, no webhooks, no dashboard.
    API_KEYS: '',
    REPLICATE_API_TOKEN: '',
    WEBHOOK_SECRETS: '',
    ADMIN_USER: '',
    ADMIN_PASSWORD: '',
  });
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** `items` starting from item number `by` (wrapping around). */
export function rotated<T>(items: T[], by: number): T[] {
  const start = by % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

/** The median of `figure` over `items` (the upper one of an even count). */
export function medianOf<T>(items: T[], figure: (item: T) => number): number {
  return items.map(figure).sort((a, b) => a - b)[Math.floor(items.length / 2)];
}

/** The sum of `figure` over `items`. */
function sumOf<T>(items: T[], figure: (item: T) => number): number {
  return items.reduce((total, item) => total + figure(item), 0);
}

/**
 * One system's end-to-end turns as one result: each figure the median of the turns' (the upper
 * one of an even count), the jobs accepted and succeeded summed, so a failed job in any turn shows.
 */
export function medianTurn(turns: EndToEndResult[]): EndToEndResult {
  if (turns.length === 0) throw new Error('no end-to-end turn ran');
  return {
    accepted: sumOf(turns, (turn) => turn.accepted),
    succeeded: sumOf(turns, (turn) => turn.succeeded),
    submitSeconds: medianOf(turns, (turn) => turn.submitSeconds),
    seconds: medianOf(turns, (turn) => turn.seconds),
    jobsPerSecond: medianOf(turns, (turn) => turn.jobsPerSecond),
    completionP50Ms: medianOf(turns, (turn) => turn.completionP50Ms),
    completionP99Ms: medianOf(turns, (turn) => turn.completionP99Ms),
    cpuMsPerJob: medianCpu(turns.map((turn) => turn.cpuMsPerJob)),
  };
}

/** One system's 512×512 turns as one result: `medianTurn`, and the medians of the event-loop delays. */
function medianImageTurn(turns: DefaultImagesResult[]): DefaultImagesResult {
  return {
    ...medianTurn(turns),
    eventLoopDelayP99Ms: medianOf(turns, (turn) => turn.eventLoopDelayP99Ms),
    eventLoopDelayMaxMs: medianOf(turns, (turn) => turn.eventLoopDelayMaxMs),
  };
}

/**
 * One system's turns of submits or status reads as one result: each rate, latency and CPU figure
 * the median of the turns', the answers (and their status codes) summed, so a failure in any shows.
 */
function medianLoad(turns: PhaseResult[]): PhaseResult {
  if (turns.length === 0) throw new Error('no turn of requests ran');
  const statusCodes: Record<string, number> = {};
  for (const [code, count] of turns.flatMap((turn) => Object.entries(turn.statusCodes))) {
    statusCodes[code] = (statusCodes[code] ?? 0) + count;
  }
  return {
    requestsPerSecond: medianOf(turns, (turn) => turn.requestsPerSecond),
    latencyP50Ms: medianOf(turns, (turn) => turn.latencyP50Ms),
    latencyP99Ms: medianOf(turns, (turn) => turn.latencyP99Ms),
    latencyMaxMs: medianOf(turns, (turn) => turn.latencyMaxMs),
    ok: sumOf(turns, (turn) => turn.ok),
    failed: sumOf(turns, (turn) => turn.failed),
    statusCodes,
    seconds: sumOf(turns, (turn) => turn.seconds),
    cpuMsPerRequest: medianCpu(turns.map((turn) => turn.cpuMsPerRequest)),
  };
}

/** Each process's CPU figure, the median over the turns. */
function medianCpu(uses: CpuUse[]): CpuUse {
  const middle = (key: keyof CpuUse) => medianOf(uses, (use) => use[key]);
  return {
    api: middle('api'),
    worker: middle('worker'),
    postgres: middle('postgres'),
    redis: middle('redis'),
    otherShare: middle('otherShare'),
  };
}
