import { isAbsolute, resolve } from 'node:path';
import { registerAs } from '@nestjs/config';
import { type Environment, generatorKind, HEALTH_PORT_OFF, parseEnvironment } from './environment';

const environment = () => parseEnvironment(process.env);

/** The entries of a comma-separated setting, trimmed, empty ones dropped; none when it is unset. */
const commaList = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);

export const appConfig = registerAs('app', () => {
  const env = environment();
  return {
    port: env.PORT,
    host: env.HOST,
    /**
     * Pretty, colourful logs for a person (LOG_FORMAT=pretty, or unset on a terminal outside
     * production; `npm start` sets it, as concurrently pipes stdout); JSON lines everywhere else.
     */
    prettyLogs:
      (env.LOG_FORMAT ?? (process.stdout.isTTY && process.env.NODE_ENV !== 'production' ? 'pretty' : 'json')) ===
      'pretty',
    publicBaseUrl: (env.PUBLIC_BASE_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
    requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
    connectionTimeoutMs: env.HTTP_CONNECTION_TIMEOUT_MS,
    /** Concurrent `Prefer: wait` requests this process holds, per API key and in all. */
    waitLimits: { perKey: env.WAIT_MAX_PER_KEY, total: env.WAIT_MAX_TOTAL },
    uiEnabled: env.UI_ENABLED,
    logLevel: env.LOG_LEVEL,
  };
});

export const authConfig = registerAs('auth', () => {
  const env = environment();
  const pairs = commaList(env.API_KEYS).map((pair) => pair.replace(/\s+-$/, '').split(':') as [string, string]);
  return {
    /** Key owner names by the SHA-256 (hex) of the key. Empty: the API is open. */
    keyOwnersByHash: Object.fromEntries(pairs.map(([name, hash]) => [hash, name])) as Record<string, string>,
    submitsPerMinute: env.SUBMIT_RATE_LIMIT_PER_MINUTE,
    /** Basic-auth credentials of the queue dashboard; null keeps it off. */
    admin: env.ADMIN_USER && env.ADMIN_PASSWORD ? { user: env.ADMIN_USER, password: env.ADMIN_PASSWORD } : null,
    idempotencyTtlHours: env.IDEMPOTENCY_TTL_HOURS,
  };
});

export const webhooksConfig = registerAs('webhooks', () => {
  const env = environment();
  return {
    secrets: commaList(env.WEBHOOK_SECRETS),
    allowHttp: env.WEBHOOK_ALLOW_HTTP,
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
    backoffMs: env.WEBHOOK_BACKOFF_MS,
  };
});

export const egressConfig = registerAs('egress', () => {
  const env = environment();
  return {
    /** `host` or `host:port` entries exempt from the private-address refusal. */
    allowHosts: commaList(env.EGRESS_ALLOW_HOSTS),
  };
});

export const databaseConfig = registerAs('database', () => {
  const env = environment();
  return {
    url: env.DATABASE_URL,
    poolSize: env.DATABASE_POOL_SIZE,
    preparedStatements: env.DATABASE_PREPARED_STATEMENTS,
  };
});

/** A Redis node's address. */
export interface RedisNode {
  host: string;
  port: number;
}

/** How to reach Redis: one server (REDIS_URL), a Redis Cluster, or a master found through Sentinels. */
export type RedisTopology =
  | { kind: 'standalone'; url: string }
  | { kind: 'cluster'; nodes: RedisNode[]; password?: string }
  | { kind: 'sentinel'; sentinels: RedisNode[]; name: string; password?: string; sentinelPassword?: string };

/** `host:port,host:port` (IPv6 in brackets) as nodes; the environment schema checked the shape. */
function redisNodes(list: string): RedisNode[] {
  return commaList(list).map((address) => {
    const colon = address.lastIndexOf(':');
    return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(colon + 1)) };
  });
}

function redisTopology(env: Environment): RedisTopology {
  if (env.REDIS_CLUSTER_NODES) {
    return { kind: 'cluster', nodes: redisNodes(env.REDIS_CLUSTER_NODES), password: env.REDIS_PASSWORD };
  }
  if (env.REDIS_SENTINELS) {
    return {
      kind: 'sentinel',
      sentinels: redisNodes(env.REDIS_SENTINELS),
      name: env.REDIS_SENTINEL_NAME as string,
      password: env.REDIS_PASSWORD,
      sentinelPassword: env.REDIS_SENTINEL_PASSWORD,
    };
  }
  return { kind: 'standalone', url: env.REDIS_URL };
}

export const queueConfig = registerAs('queue', () => {
  const env = environment();
  const redis = redisTopology(env);
  return {
    redis,
    /**
     * Every key and channel starts with it. On a Cluster it is a hash tag (`{mediagen}`), so all
     * keys of a queue, and of every queue, live in one slot, as BullMQ's scripts require.
     */
    prefix: redis.kind === 'cluster' ? `{${env.QUEUE_PREFIX}}` : env.QUEUE_PREFIX,
    attempts: env.JOB_ATTEMPTS,
    backoffMs: env.JOB_BACKOFF_MS,
    /** How long a job waits out a PostgreSQL or Redis outage before it fails `infrastructure_unavailable`. */
    infrastructureOutageMaxMs: env.JOB_INFRASTRUCTURE_OUTAGE_MAX_MS,
    concurrency: env.WORKER_CONCURRENCY,
    shutdownTimeoutMs: env.WORKER_SHUTDOWN_TIMEOUT_MS,
    /** The port to try first (taken: any free one), 0 for any free port, null when turned off. */
    healthPort: env.WORKER_HEALTH_PORT === HEALTH_PORT_OFF ? null : env.WORKER_HEALTH_PORT,
    lockDurationMs: env.WORKER_LOCK_DURATION_MS,
    stalledIntervalMs: env.WORKER_STALLED_INTERVAL_MS,
    maxStalledCount: env.WORKER_MAX_STALLED_COUNT,
    sweep: {
      intervalMs: env.SWEEP_INTERVAL_MS,
      queuedAgeMs: env.SWEEP_QUEUED_AGE_MS,
      processingAgeMs: env.SWEEP_PROCESSING_AGE_MS,
    },
  };
});

export const storageConfig = registerAs('storage', () => {
  const env = environment();
  const dir = env.STORAGE_LOCAL_DIR;
  return {
    driver: env.STORAGE_DRIVER,
    localDir: isAbsolute(dir) ? dir : resolve(process.cwd(), dir),
    s3: {
      bucket: env.S3_BUCKET ?? '',
      region: env.S3_REGION,
      endpoint: env.S3_ENDPOINT,
      forcePathStyle: env.S3_FORCE_PATH_STYLE,
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
      keyPrefix: env.S3_KEY_PREFIX,
      urlTtlSeconds: env.S3_URL_TTL_SECONDS,
    },
    retention: {
      days: env.RETENTION_DAYS,
      deleteJobs: env.RETENTION_DELETE_JOBS,
      intervalMs: env.RETENTION_INTERVAL_MS,
    },
  };
});

export const MOCK_MODEL = 'mock';

/** Replicate's own limit on prediction creations is 600 per minute; stay below it by default. */
const DEFAULT_REPLICATE_STARTS_PER_MINUTE = 500;

export const generatorConfig = registerAs('generator', () => {
  const env = environment();
  const kind = generatorKind(env);
  return {
    kind,
    /** The model a job records when its request names none: the mock runs no real model, so it says `mock`. */
    defaultModel: kind === 'mock' ? MOCK_MODEL : env.REPLICATE_DEFAULT_MODEL,
    allowedModels: commaList(env.REPLICATE_ALLOWED_MODELS),
    /** Attempt starts per minute across every worker, or null for no limit. */
    startsPerMinute:
      env.GENERATOR_MAX_STARTS_PER_MINUTE ??
      env.REPLICATE_MAX_CREATES_PER_MINUTE ??
      (kind === 'replicate' ? DEFAULT_REPLICATE_STARTS_PER_MINUTE : null),
    mock: { latencyMs: env.MOCK_LATENCY_MS, failureRate: env.MOCK_FAILURE_RATE },
    replicate: {
      apiToken: env.REPLICATE_API_TOKEN ?? '',
      baseUrl: env.REPLICATE_BASE_URL,
      predictionTimeoutMs: env.REPLICATE_PREDICTION_TIMEOUT_MS,
      pollIntervalMs: env.REPLICATE_POLL_INTERVAL_MS,
      requestTimeoutMs: env.REPLICATE_REQUEST_TIMEOUT_MS,
    },
    outputs: { timeoutMs: env.OUTPUT_DOWNLOAD_TIMEOUT_MS, maxBytes: env.MAX_OUTPUT_BYTES },
    /** What one job may keep in all: outputs and bytes summed over them. */
    jobOutputs: { maxCount: env.MAX_OUTPUTS_PER_JOB, maxTotalBytes: env.MAX_JOB_OUTPUT_BYTES },
  };
});

export type AppConfig = ReturnType<typeof appConfig>;
export type AuthConfig = ReturnType<typeof authConfig>;
export type DatabaseConfig = ReturnType<typeof databaseConfig>;
export type WebhooksConfig = ReturnType<typeof webhooksConfig>;
export type EgressConfig = ReturnType<typeof egressConfig>;
export type QueueConfig = ReturnType<typeof queueConfig>;
export type StorageConfig = ReturnType<typeof storageConfig>;
export type GeneratorConfig = ReturnType<typeof generatorConfig>;
