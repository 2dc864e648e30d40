import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { Pool } from 'pg';
import { Environment } from '../../libs/config/src/environment';
import { renderMockImage } from '../../libs/generator/src/mock-image';
import { generationJobOptions } from '../../libs/queue/src/generation-queue';

/**
 * The minimal reference the service is measured against: the same work per request with no
 * framework. Submit = one INSERT + one BullMQ enqueue; status = one SELECT by id; a job = UPDATE
 * → render the mock PNG → write the file → UPDATE. Each part runs as its own OS process, like
 * the service's api and worker, configured through the environment.
 */

export const REFERENCE_TABLE = 'ref_jobs';
export const REFERENCE_QUEUE = 'generation';
/** The line a reference process prints once it serves. */
export const READY_LINE = 'reference ready';
/**
 * The reference worker's event-loop delay, as the service's worker reports it on /metrics:
 * SIGUSR2 starts a measurement afresh, SIGUSR1 prints `{"eventLoopDelay":{"p99Ms":…,"maxMs":…}}`.
 */
export const LOOP_DELAY_RESET = 'SIGUSR2';
export const LOOP_DELAY_REPORT = 'SIGUSR1';
/** The same resolution as prom-client's event-loop lag metrics. */
const LOOP_DELAY_RESOLUTION_MS = 10;

export const CREATE_REFERENCE_TABLE = `
  CREATE TABLE ${REFERENCE_TABLE} (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    status text NOT NULL,
    prompt text NOT NULL,
    input jsonb NOT NULL DEFAULT '{}',
    attempts integer NOT NULL DEFAULT 0,
    outputs jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    completed_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BODY_LIMIT_BYTES = 65_536;
/**
 * The service's defaults (JOB_ATTEMPTS, JOB_BACKOFF_MS). The reference has no attempt count in its
 * table, so BullMQ's try limit stands in for it.
 */
const SERVICE_DEFAULTS = new Environment();

interface ReferenceSettings {
  port: number;
  databaseUrl: string;
  poolSize: number;
  redisUrl: string;
  prefix: string;
  concurrency: number;
  mediaDir: string;
}

function settingsFromEnv(): ReferenceSettings {
  const env = process.env;
  return {
    port: Number(env.PORT),
    databaseUrl: String(env.DATABASE_URL),
    poolSize: Number(env.DATABASE_POOL_SIZE ?? 10),
    redisUrl: String(env.REDIS_URL),
    prefix: String(env.QUEUE_PREFIX),
    concurrency: Number(env.WORKER_CONCURRENCY ?? 16),
    mediaDir: String(env.STORAGE_LOCAL_DIR),
  };
}

/** `node run-bench.js reference-api`: node:http + pg Pool + BullMQ Queue. */
export async function runReferenceApi(): Promise<void> {
  const settings = settingsFromEnv();
  const pool = new Pool({ connectionString: settings.databaseUrl, max: settings.poolSize });
  const queue = new Queue(REFERENCE_QUEUE, { connection: { url: settings.redisUrl }, prefix: settings.prefix });
  await queue.waitUntilReady();
  const jobOptions = {
    ...generationJobOptions(SERVICE_DEFAULTS.JOB_BACKOFF_MS),
    attempts: SERVICE_DEFAULTS.JOB_ATTEMPTS,
  };

  const submit = async (request: IncomingMessage, response: ServerResponse) => {
    const body = JSON.parse(await readBody(request)) as { prompt?: unknown; input?: unknown };
    if (typeof body.prompt !== 'string' || body.prompt.trim() === '') return send(response, 400, { error: 'prompt' });
    const { rows } = await pool.query(
      `INSERT INTO ${REFERENCE_TABLE} (status, prompt, input) VALUES ('queued', $1, $2) RETURNING *`,
      [body.prompt, JSON.stringify(body.input ?? {})],
    );
    const job = rows[0] as { id: string };
    await queue.add('generate', { jobId: job.id }, { ...jobOptions, jobId: job.id });
    response.setHeader('location', `/v1/status/${job.id}`);
    send(response, 202, job);
  };

  const status = async (id: string, response: ServerResponse) => {
    if (!UUID.test(id)) return send(response, 400, { error: 'id' });
    const { rows } = await pool.query(`SELECT * FROM ${REFERENCE_TABLE} WHERE id = $1`, [id]);
    if (rows.length === 0) return send(response, 404, { error: 'not found' });
    send(response, 200, rows[0]);
  };

  const server = createServer((request, response) => {
    const url = request.url ?? '';
    const handled =
      request.method === 'POST' && url === '/v1/generate'
        ? submit(request, response)
        : request.method === 'GET' && url.startsWith('/v1/status/')
          ? status(url.slice('/v1/status/'.length), response)
          : Promise.resolve(send(response, 404, { error: 'not found' }));
    handled.catch((error: unknown) => {
      process.stderr.write(`${JSON.stringify({ level: 50, msg: String(error) })}\n`);
      if (!response.headersSent) send(response, 500, { error: 'internal' });
    });
  });
  server.keepAliveTimeout = 72_000;
  await new Promise<void>((resolve) => server.listen(settings.port, '127.0.0.1', resolve));
  process.stdout.write(`${READY_LINE}\n`);

  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void Promise.allSettled([queue.close(), pool.end()]).then(() => process.exit(0));
  });
}

/** `node run-bench.js reference-worker`: a BullMQ Worker + pg Pool + renderMockImage + a file write. */
export async function runReferenceWorker(): Promise<void> {
  const settings = settingsFromEnv();
  const pool = new Pool({ connectionString: settings.databaseUrl, max: settings.poolSize });

  const worker = new Worker<{ jobId: string }>(
    REFERENCE_QUEUE,
    async (job) => {
      const { jobId } = job.data;
      const { rows } = await pool.query(
        `UPDATE ${REFERENCE_TABLE}
            SET status = 'processing', attempts = attempts + 1, started_at = COALESCE(started_at, now()), updated_at = now()
          WHERE id = $1 AND status = 'queued'
          RETURNING prompt, input`,
        [jobId],
      );
      if (rows.length === 0) return;
      const { prompt, input } = rows[0] as { prompt: string; input: Record<string, number | undefined> };
      const parts = await renderMockImage(prompt, input.seed ?? 0, input.width ?? 512, input.height ?? 512);
      const folder = join(settings.mediaDir, jobId);
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, '0.png'), parts);
      const digest = createHash('sha256');
      for (const part of parts) digest.update(part);
      const output = {
        file: '0.png',
        contentType: 'image/png',
        bytes: parts.reduce((total, part) => total + part.length, 0),
        sha256: digest.digest('hex'),
      };
      await pool.query(
        `UPDATE ${REFERENCE_TABLE}
            SET status = 'succeeded', outputs = $2, completed_at = now(), updated_at = now()
          WHERE id = $1 AND status = 'processing'`,
        [jobId, JSON.stringify([output])],
      );
    },
    { connection: { url: settings.redisUrl }, prefix: settings.prefix, concurrency: settings.concurrency },
  );
  worker.on('error', (error) => process.stderr.write(`${JSON.stringify({ level: 50, msg: String(error) })}\n`));
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  loopDelay.enable();
  process.on(LOOP_DELAY_RESET, () => loopDelay.reset());
  process.on(LOOP_DELAY_REPORT, () => {
    const ms = (nanoseconds: number) => Math.round(nanoseconds / 1e5) / 10;
    const eventLoopDelay = { p99Ms: ms(loopDelay.percentile(99)), maxMs: ms(loopDelay.max) };
    process.stdout.write(`${JSON.stringify({ eventLoopDelay })}\n`);
  });
  await worker.waitUntilReady();
  process.stdout.write(`${READY_LINE}\n`);

  process.once('SIGTERM', () => {
    void Promise.allSettled([worker.close(), pool.end()]).then(() => process.exit(0));
  });
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) reject(new Error('body too large'));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
