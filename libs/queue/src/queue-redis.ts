import { AsyncResource } from 'node:async_hooks';
import { type QueueConfig, queueConfig, type RedisTopology } from '@app/config';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createIORedisClient, type IRedisClient, RedisConnection } from 'bullmq';
import Redis, { Cluster, type RedisOptions } from 'ioredis';
import { describeRedis } from './redis-preflight';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);
// ioredis raises these without a code when commands cannot reach the server.
const UNREACHABLE_MESSAGES = [/Connection is closed/i, /max retries per request/i, /Stream isn't writeable/i];
const MAX_RECONNECT_DELAY_MS = 30_000;

/** Whether `error` (as raised by ioredis or BullMQ) says Redis is unreachable, not that a command is wrong. */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (error.name === 'MaxRetriesPerRequestError' || NETWORK_CODES.has(code)) return true;
  return UNREACHABLE_MESSAGES.some((pattern) => pattern.test(error.message));
}

/** Time before reconnect number `attempt`: 0.5 s, doubling, at most 30 s. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(500 * 2 ** (attempt - 1), MAX_RECONNECT_DELAY_MS);
}

/**
 * The one place where a Redis outage is reported. Every connection of the process (ours and
 * BullMQ's) reconnects on the same schedule, and each back-off step is logged once, as one
 * structured line naming the last connection error; the connections' own `error` events for the
 * outage are then left unlogged (see `logRedisError`), so no stack trace floods the logs.
 */
class RedisOutageReport {
  private readonly logger = new Logger('Redis');
  private lastReason = 'unknown';
  /** Where Redis is and the setting that says so, for the message (never a password). */
  address = 'Redis';
  private lastStep = { attempt: 0, at: 0 };

  noteError(error: Error): void {
    this.lastReason = error.message;
  }

  retryStrategy = (attempt: number): number => {
    const delayMs = reconnectDelayMs(attempt);
    const now = Date.now();
    if (attempt !== this.lastStep.attempt || now - this.lastStep.at >= delayMs) {
      this.lastStep = { attempt, at: now };
      this.logger.warn(
        { attempt, retryInMs: delayMs, reason: this.lastReason },
        `Redis unreachable at ${this.address}: ${this.lastReason}; retrying in ${delayMs / 1000} s`,
      );
    }
    return delayMs;
  };
}

const outageReport = new RedisOutageReport();

/** The async context this module loaded in: no request's. */
const outsideAnyRequest = new AsyncResource('mediagen.redis-connection');

/**
 * The one place where Redis connections are built, for each way of reaching Redis: one server
 * (REDIS_URL), the master the Sentinels name (REDIS_SENTINELS), or a Cluster (REDIS_CLUSTER_NODES).
 * `options` apply to every server connection; every connection reconnects on the outage schedule.
 */
export function createRedis(topology: RedisTopology, options: RedisOptions = {}): Redis | Cluster {
  // A connection opened lazily while serving a request would keep that request's async context in
  // its socket and timer callbacks, so its outage lines would name a long-gone request.
  return outsideAnyRequest.runInAsyncScope(() => connect(topology, options));
}

function connect(topology: RedisTopology, options: RedisOptions): Redis | Cluster {
  const settings: RedisOptions = { retryStrategy: outageReport.retryStrategy, ...options };
  switch (topology.kind) {
    case 'standalone':
      return new Redis(topology.url, settings);
    case 'sentinel':
      return new Redis({
        ...settings,
        sentinels: topology.sentinels,
        name: topology.name,
        password: topology.password,
        sentinelPassword: topology.sentinelPassword,
        sentinelRetryStrategy: outageReport.retryStrategy,
        // Not `failoverDetector`: its Sentinel subscriptions outlive disconnect() (ioredis 5.11), so
        // a closed app kept the process alive. A failover is followed on the next reconnect anyway.
      });
    case 'cluster':
      return new Cluster(topology.nodes, {
        clusterRetryStrategy: outageReport.retryStrategy,
        redisOptions: { ...settings, password: topology.password },
      });
  }
}

/** Where BullMQ's connection options carry the topology, for `bullClientFactory`. */
const TOPOLOGY = 'mediagenRedisTopology';

/**
 * BullMQ opens (and closes) its own connections from options, and by itself it only builds
 * single-server clients. This factory builds each of them with `createRedis`, so BullMQ's
 * connections reach a Cluster or the Sentinels' master as ours do. Options without a topology
 * (other code's queues) get BullMQ's usual client.
 */
function bullClientFactory(opts: RedisOptions): IRedisClient {
  const { [TOPOLOGY]: topology, ...options } = opts as RedisOptions & { [TOPOLOGY]?: RedisTopology; url?: string };
  // BullMQ's default host and port among the options give way to the topology's addresses.
  if (topology) return createIORedisClient(createRedis(topology, options));
  const { url, ...rest } = options;
  return createIORedisClient(url ? new Redis(url, rest) : new Redis(rest));
}

/** BullMQ connection options for every queue and worker of the service. */
export function redisConnectionOptions(topology: RedisTopology): {
  retryStrategy: (attempt: number) => number;
  [TOPOLOGY]: RedisTopology;
} {
  RedisConnection.clientFactory = bullClientFactory;
  outageReport.address = describeRedis(topology);
  return { retryStrategy: outageReport.retryStrategy, [TOPOLOGY]: topology };
}

/** Logs a connection's `error` event, unless it only says Redis is unreachable (reported per back-off step). */
export function logRedisError(logger: Logger, message: string, error: Error): void {
  if (isRedisUnavailable(error)) outageReport.noteError(error);
  else logger.error({ err: error }, message);
}

/** Our own Redis connections beside BullMQ's (pub/sub, counters), opened on first use. */
@Injectable()
export class QueueRedis implements OnApplicationShutdown {
  private readonly logger = new Logger(QueueRedis.name);
  private readonly connections: Array<Redis | Cluster> = [];
  private shared?: Redis | Cluster;

  constructor(@Inject(queueConfig.KEY) private readonly config: QueueConfig) {}

  /** The key prefix every key and channel of this deployment starts with. */
  key(...parts: string[]): string {
    return [this.config.prefix, ...parts].join(':');
  }

  /** A connection for plain commands, shared by its users. */
  get client(): Redis | Cluster {
    this.shared ??= this.open();
    return this.shared;
  }

  /** A connection of its own, for a subscriber (which can run no other command). */
  open(): Redis | Cluster {
    const connection = createRedis(this.config.redis, { maxRetriesPerRequest: 1 });
    connection.on('error', (error: Error) => logRedisError(this.logger, 'Redis connection error', error));
    this.connections.push(connection);
    return connection;
  }

  onApplicationShutdown(): void {
    for (const connection of this.connections) connection.disconnect();
  }
}
