import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  ValidateIf,
  validateSync,
} from 'class-validator';

export const GENERATOR_KINDS = ['mock', 'replicate'] as const;
export const STORAGE_DRIVERS = ['local', 's3'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['pretty', 'json'] as const;
/** What `WORKER_HEALTH_PORT` turns the worker's health server off with. */
export const HEALTH_PORT_OFF = 'off';

/**
 * `owner/name` or `owner/name:version`, as Replicate names models. Each segment starts with a
 * letter or digit and is at most 100 characters: the client puts them in request paths unescaped.
 */
const MODEL_SEGMENT = '[A-Za-z0-9][\\w.-]{0,99}';
const MODEL_REFERENCE = `${MODEL_SEGMENT}/${MODEL_SEGMENT}(?::${MODEL_SEGMENT})?`;
export const MODEL_REFERENCE_PATTERN = new RegExp(`^${MODEL_REFERENCE}$`);
/** A host name or address; an IPv6 address in brackets. */
const HOST = '(?:\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+)';
/** `host` or `host:port`. */
const EGRESS_HOST = `${HOST}(?::\\d{1,5})?`;
/** `host:port`. */
const HOST_AND_PORT = `${HOST}:\\d{1,5}`;
/** `name:<sha256 hex>`, optionally followed by the `  -` that `sha256sum` prints after the digest. */
const API_KEY_ENTRY = '[\\w.-]+:[0-9a-f]{64}(?:\\s+-)?';
const commaSeparated = (item: string) => new RegExp(`^\\s*${item}\\s*(,\\s*${item}\\s*)*$`);
const DECIMAL = /^-?\d+(\.\d+)?$/;
const toNumber = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? (DECIMAL.test(value.trim()) ? Number(value) : Number.NaN) : value;
const urlOptions = { require_tld: false, require_protocol: true };
const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' || value === true ? true : value === 'false' || value === false ? false : value;

/**
 * An integer setting given as a decimal string, within `min` and (when given) `max`: the stack
 * `@Transform(toNumber) @IsInt() @Min(min) @Max(max)`, applied bottom first as TypeScript would.
 */
function IntegerSetting({ min, max }: { min: number; max?: number }): PropertyDecorator {
  const bottomFirst = [...(max === undefined ? [] : [Max(max)]), Min(min), IsInt(), Transform(toNumber)];
  return (target, property) => {
    for (const decorate of bottomFirst) decorate(target, property);
  };
}

/**
 * Every setting the service reads, with its default. Values come from the process environment
 * (and `.env`); an empty string counts as unset.
 */
export class Environment {
  @IntegerSetting({ min: 1, max: 65535 })
  PORT = 8000;

  @IsString()
  HOST = '0.0.0.0';

  @IsOptional()
  @IsUrl({ ...urlOptions, protocols: ['http', 'https'] })
  PUBLIC_BASE_URL?: string;

  @IntegerSetting({ min: 1024 })
  HTTP_BODY_LIMIT_BYTES = 65536;

  /** The longest a client may take to send a whole request (headers and body); 0 turns it off. */
  @IntegerSetting({ min: 0 })
  HTTP_REQUEST_TIMEOUT_MS = 30_000;

  /** A connection silent this long is closed; above 60 s so `Prefer: wait=60` is never cut. */
  @IntegerSetting({ min: 65_000 })
  HTTP_CONNECTION_TIMEOUT_MS = 75_000;

  /** Concurrent `Prefer: wait` requests per API key (per api process); 0 never waits. */
  @IntegerSetting({ min: 0 })
  WAIT_MAX_PER_KEY = 100;

  /** Concurrent `Prefer: wait` requests in all (per api process); 0 never waits. */
  @IntegerSetting({ min: 0 })
  WAIT_MAX_TOTAL = 2000;

  @Transform(toBoolean)
  @IsBoolean()
  UI_ENABLED = true;

  /**
   * Comma-separated `name:sha256hex` pairs; the hex is the SHA-256 of the key clients send. A pasted
   * `sha256sum` line (`<hex>  -`) is accepted as it is.
   */
  @IsOptional()
  @Matches(commaSeparated(API_KEY_ENTRY), {
    message:
      'API_KEYS must be a comma-separated list of name:<64 lowercase hex digits> (the SHA-256 of the key); ' +
      '`npm run key` prints a new key and its exact entry',
  })
  API_KEYS?: string;

  /**
   * Lets the Replicate generator run without API_KEYS, so anyone who reaches the API spends the
   * operator's Replicate credit: only for an API that is private by other means.
   */
  @Transform(toBoolean)
  @IsBoolean()
  ALLOW_OPEN_API = false;

  @IntegerSetting({ min: 0 })
  SUBMIT_RATE_LIMIT_PER_MINUTE = 120;

  @IntegerSetting({ min: 1 })
  IDEMPOTENCY_TTL_HOURS = 24;

  @IsOptional()
  @IsString()
  ADMIN_USER?: string;

  @IsOptional()
  @IsString()
  ADMIN_PASSWORD?: string;

  /** Comma-separated Standard Webhooks secrets (`whsec_` + base64); every one signs, for rotation. */
  @IsOptional()
  @Matches(/^\s*whsec_[A-Za-z0-9+/=]{16,}\s*(,\s*whsec_[A-Za-z0-9+/=]{16,}\s*)*$/, {
    message: 'WEBHOOK_SECRETS must be a comma-separated list of whsec_<base64> secrets',
  })
  WEBHOOK_SECRETS?: string;

  @Transform(toBoolean)
  @IsBoolean()
  WEBHOOK_ALLOW_HTTP = false;

  /** Comma-separated `host` or `host:port` destinations exempt from the private-address refusal. */
  @IsOptional()
  @Matches(commaSeparated(EGRESS_HOST), {
    message: 'EGRESS_ALLOW_HOSTS must be a comma-separated list of host or host:port ([IPv6] in brackets)',
  })
  EGRESS_ALLOW_HOSTS?: string;

  @IntegerSetting({ min: 100 })
  WEBHOOK_TIMEOUT_MS = 10_000;

  @IntegerSetting({ min: 1, max: 50 })
  WEBHOOK_MAX_ATTEMPTS = 10;

  @IntegerSetting({ min: 10 })
  WEBHOOK_BACKOFF_MS = 30_000;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  /** `pretty` (one coloured line per entry) or `json`; unset: pretty on a terminal outside production. */
  @IsOptional()
  @IsIn(LOG_FORMATS)
  LOG_FORMAT?: (typeof LOG_FORMATS)[number];

  @IsUrl({ ...urlOptions, protocols: ['postgres', 'postgresql'] })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/mediagen';

  @IntegerSetting({ min: 1 })
  DATABASE_POOL_SIZE = 10;

  /**
   * Runs the hot statements as named (server-side) prepared statements, so PostgreSQL parses and
   * plans each once per connection. Off behind a pooler that cannot keep them (PgBouncer before 1.21).
   */
  @Transform(toBoolean)
  @IsBoolean()
  DATABASE_PREPARED_STATEMENTS = true;

  @IsUrl({ ...urlOptions, protocols: ['redis', 'rediss'] })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Redis Cluster seed nodes, comma-separated `host:port`; instead of REDIS_URL. */
  @IsOptional()
  @Matches(commaSeparated(HOST_AND_PORT), {
    message: 'REDIS_CLUSTER_NODES must be a comma-separated list of host:port ([IPv6] in brackets)',
  })
  REDIS_CLUSTER_NODES?: string;

  /** Redis Sentinels, comma-separated `host:port`; instead of REDIS_URL, with REDIS_SENTINEL_NAME. */
  @IsOptional()
  @Matches(commaSeparated(HOST_AND_PORT), {
    message: 'REDIS_SENTINELS must be a comma-separated list of host:port ([IPv6] in brackets)',
  })
  REDIS_SENTINELS?: string;

  /** The master name the Sentinels monitor. */
  @IsOptional()
  @Matches(/^[\w.-]+$/, { message: 'REDIS_SENTINEL_NAME may contain only letters, digits, ".", "_" and "-"' })
  REDIS_SENTINEL_NAME?: string;

  /** The Redis password with REDIS_CLUSTER_NODES or REDIS_SENTINELS (with REDIS_URL it goes in the URL). */
  @IsOptional()
  @IsString()
  REDIS_PASSWORD?: string;

  /** The Sentinels' own password, when they require one. */
  @IsOptional()
  @IsString()
  REDIS_SENTINEL_PASSWORD?: string;

  @Matches(/^[\w.-]+$/, { message: 'QUEUE_PREFIX may contain only letters, digits, ".", "_" and "-"' })
  QUEUE_PREFIX = 'mediagen';

  @IntegerSetting({ min: 1, max: 100 })
  JOB_ATTEMPTS = 3;

  @IntegerSetting({ min: 0 })
  JOB_BACKOFF_MS = 2000;

  @IntegerSetting({ min: 1000 })
  JOB_INFRASTRUCTURE_OUTAGE_MAX_MS = 24 * 3600 * 1000;

  @IntegerSetting({ min: 1, max: 1000 })
  WORKER_CONCURRENCY = 4;

  /** A port (taken by another process: any free one instead), `0` for any free port, or `off`. */
  @Transform(({ value }) => (value === HEALTH_PORT_OFF ? value : toNumber({ value })))
  @ValidateIf((env: Environment) => env.WORKER_HEALTH_PORT !== HEALTH_PORT_OFF)
  @IsInt({ message: 'WORKER_HEALTH_PORT must be a port number, 0 (any free port) or off' })
  @Min(0)
  @Max(65535)
  WORKER_HEALTH_PORT: number | typeof HEALTH_PORT_OFF = 8001;

  @IntegerSetting({ min: 0 })
  WORKER_SHUTDOWN_TIMEOUT_MS = 25_000;

  @IntegerSetting({ min: 1000 })
  WORKER_LOCK_DURATION_MS = 60_000;

  @IntegerSetting({ min: 1000 })
  WORKER_STALLED_INTERVAL_MS = 30_000;

  @IntegerSetting({ min: 0 })
  WORKER_MAX_STALLED_COUNT = 2;

  @IntegerSetting({ min: 100 })
  SWEEP_INTERVAL_MS = 15_000;

  @IntegerSetting({ min: 0 })
  SWEEP_QUEUED_AGE_MS = 30_000;

  @IntegerSetting({ min: 0 })
  SWEEP_PROCESSING_AGE_MS = 60_000;

  /** Media of jobs that ended more than this many days ago is deleted; 0 keeps everything. */
  @Transform(toNumber)
  @IsNumber()
  @Min(0)
  RETENTION_DAYS = 30;

  @Transform(toBoolean)
  @IsBoolean()
  RETENTION_DELETE_JOBS = false;

  @IntegerSetting({ min: 1000 })
  RETENTION_INTERVAL_MS = 3_600_000;

  @IsIn(STORAGE_DRIVERS)
  STORAGE_DRIVER: (typeof STORAGE_DRIVERS)[number] = 'local';

  @IsString()
  STORAGE_LOCAL_DIR = 'generated_images';

  @IsOptional()
  @IsString()
  S3_BUCKET?: string;

  @IsString()
  S3_REGION = 'us-east-1';

  @IsOptional()
  @IsUrl({ ...urlOptions, protocols: ['http', 'https'] })
  S3_ENDPOINT?: string;

  @Transform(toBoolean)
  @IsBoolean()
  S3_FORCE_PATH_STYLE = false;

  @IsOptional()
  @IsString()
  S3_ACCESS_KEY_ID?: string;

  @IsOptional()
  @IsString()
  S3_SECRET_ACCESS_KEY?: string;

  @Matches(/^([\w.-]+\/)*$/, { message: 'S3_KEY_PREFIX must be empty or folder names each ending in /' })
  S3_KEY_PREFIX = '';

  @IntegerSetting({ min: 1, max: 604_800 })
  S3_URL_TTL_SECONDS = 900;

  @IsOptional()
  @IsIn(GENERATOR_KINDS)
  GENERATOR?: (typeof GENERATOR_KINDS)[number];

  @Matches(MODEL_REFERENCE_PATTERN, {
    message: 'REPLICATE_DEFAULT_MODEL must look like owner/name or owner/name:version',
  })
  REPLICATE_DEFAULT_MODEL = 'black-forest-labs/flux-schnell';

  @IsOptional()
  @IsString()
  REPLICATE_API_TOKEN?: string;

  @IsUrl({ ...urlOptions, protocols: ['http', 'https'] })
  REPLICATE_BASE_URL = 'https://api.replicate.com/v1';

  /** Comma-separated `owner/name` (any version) or `owner/name:version` entries; unset allows every model. */
  @IsOptional()
  @Matches(commaSeparated(MODEL_REFERENCE), {
    message: 'REPLICATE_ALLOWED_MODELS must be a comma-separated list of owner/name or owner/name:version',
  })
  REPLICATE_ALLOWED_MODELS?: string;

  @IntegerSetting({ min: 1000 })
  REPLICATE_PREDICTION_TIMEOUT_MS = 600_000;

  @IntegerSetting({ min: 10 })
  REPLICATE_POLL_INTERVAL_MS = 1000;

  @IntegerSetting({ min: 100 })
  REPLICATE_REQUEST_TIMEOUT_MS = 30_000;

  /**
   * Attempt starts per minute across every worker, whichever generator runs; unset means 500 for
   * Replicate and no limit for the mock. REPLICATE_MAX_CREATES_PER_MINUTE is its older name.
   */
  @IsOptional()
  @IntegerSetting({ min: 1, max: 600 })
  GENERATOR_MAX_STARTS_PER_MINUTE?: number;

  @IsOptional()
  @IntegerSetting({ min: 1, max: 600 })
  REPLICATE_MAX_CREATES_PER_MINUTE?: number;

  @IntegerSetting({ min: 100 })
  OUTPUT_DOWNLOAD_TIMEOUT_MS = 120_000;

  @IntegerSetting({ min: 1024 })
  MAX_OUTPUT_BYTES = 100 * 1024 * 1024;

  @IntegerSetting({ min: 1, max: 1000 })
  MAX_OUTPUTS_PER_JOB = 16;

  @IntegerSetting({ min: 1024 })
  MAX_JOB_OUTPUT_BYTES = 500 * 1024 * 1024;

  @IntegerSetting({ min: 0 })
  MOCK_LATENCY_MS = 1000;

  @Transform(toNumber)
  @IsNumber()
  @Min(0)
  @Max(1)
  MOCK_FAILURE_RATE = 0;
}

/** GENERATOR when set; otherwise Replicate when a token is configured, else the mock. */
export function generatorKind(env: Environment): (typeof GENERATOR_KINDS)[number] {
  return env.GENERATOR ?? (env.REPLICATE_API_TOKEN ? 'replicate' : 'mock');
}

export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n  ${problems.join('\n  ')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

/** Parses and validates the environment; throws naming every bad variable. */
export function parseEnvironment(raw: Record<string, string | undefined>): Environment {
  const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined && value !== ''));
  const environment = plainToInstance(Environment, present);
  const problems = validateSync(environment, { forbidUnknownValues: false }).map(
    // Values are left out on purpose: some variables carry credentials.
    (error) => `${error.property}: ${Object.values(error.constraints ?? {}).join('; ')}`,
  );
  if (environment.GENERATOR === 'replicate' && !environment.REPLICATE_API_TOKEN) {
    problems.push('REPLICATE_API_TOKEN: is required when GENERATOR=replicate');
  }
  if (generatorKind(environment) === 'replicate' && !environment.API_KEYS && !environment.ALLOW_OPEN_API) {
    problems.push(
      'API_KEYS: is required with the Replicate generator (REPLICATE_API_TOKEN is set), or anyone who reaches ' +
        'the API spends your Replicate credit; set ALLOW_OPEN_API=true to run it open anyway',
    );
  }
  if (environment.STORAGE_DRIVER === 's3' && !environment.S3_BUCKET) {
    problems.push('S3_BUCKET: is required when STORAGE_DRIVER=s3');
  }
  if (Boolean(environment.ADMIN_USER) !== Boolean(environment.ADMIN_PASSWORD)) {
    problems.push('ADMIN_USER, ADMIN_PASSWORD: set both (to enable the queue dashboard) or neither');
  }
  if (raw.WEBHOOK_ALLOW_PRIVATE_NETWORKS && raw.WEBHOOK_ALLOW_PRIVATE_NETWORKS !== 'false') {
    problems.push(
      'WEBHOOK_ALLOW_PRIVATE_NETWORKS: was replaced by EGRESS_ALLOW_HOSTS (list the private hosts to allow as host or host:port)',
    );
  }
  problems.push(...redisTopologyProblems(present));
  if (problems.length > 0) throw new InvalidEnvironmentError(problems);
  return environment;
}

/** Exactly one way to reach Redis: REDIS_URL (the default), REDIS_CLUSTER_NODES or REDIS_SENTINELS. */
function redisTopologyProblems(present: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const chosen = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'].filter((name) => present[name] !== undefined);
  if (chosen.length > 1) {
    problems.push(`${chosen.join(', ')}: set only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS`);
  }
  const sentinels = present.REDIS_SENTINELS !== undefined;
  if (sentinels && present.REDIS_SENTINEL_NAME === undefined) {
    problems.push('REDIS_SENTINEL_NAME: is required with REDIS_SENTINELS (the master name the Sentinels monitor)');
  }
  for (const name of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD']) {
    if (!sentinels && present[name] !== undefined) problems.push(`${name}: applies only with REDIS_SENTINELS`);
  }
  if (present.REDIS_PASSWORD !== undefined && present.REDIS_CLUSTER_NODES === undefined && !sentinels) {
    problems.push('REDIS_PASSWORD: applies only with REDIS_CLUSTER_NODES or REDIS_SENTINELS (put it in REDIS_URL)');
  }
  return problems;
}
