import { type QueueConfig, queueConfig } from '@app/config';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { redisAddress } from './redis-preflight';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);
// ioredis raises these without a code when commands cannot reach the server.
const UNREACHABLE_MESSAGES = [/Connection is closed/i, /max retries per request/i, /Stream isn't writeable/i];
const MAX_RECONNECT_DELAY_MS = 30_000;

/** Whether `error` (as raised by ioredis or BullMQ) says Redis is unreachable, not that a command is wrong. */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (error.name === 'MaxRetriesPerRequestError' || (code !== undefined && NETWORK_CODES.has(code))) return true;
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
  /** `host:port` of REDIS_URL, for the message (never its password). */
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
        `Redis unreachable at ${this.address} (REDIS_URL): ${this.lastReason}; retrying in ${delayMs / 1000} s`,
      );
    }
    return delayMs;
  };
}

const outageReport = new RedisOutageReport();

/** Connection options for every Redis connection of the service (BullMQ's included). */
export function redisConnectionOptions(url: string): { url: string; retryStrategy: (attempt: number) => number } {
  outageReport.address = redisAddress(url);
  return { url, retryStrategy: outageReport.retryStrategy };
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
  private readonly connections: Redis[] = [];
  private shared?: Redis;

  constructor(@Inject(queueConfig.KEY) private readonly config: QueueConfig) {}

  /** The key prefix every key and channel of this deployment starts with. */
  key(...parts: string[]): string {
    return [this.config.prefix, ...parts].join(':');
  }

  /** A connection for plain commands, shared by its users. */
  get client(): Redis {
    this.shared ??= this.open();
    return this.shared;
  }

  /** A connection of its own, for a subscriber (which can run no other command). */
  open(): Redis {
    const { url, ...options } = redisConnectionOptions(this.config.redisUrl);
    const connection = new Redis(url, { ...options, maxRetriesPerRequest: 1 });
    connection.on('error', (error: Error) => logRedisError(this.logger, 'Redis connection error', error));
    this.connections.push(connection);
    return connection;
  }

  onApplicationShutdown(): void {
    for (const connection of this.connections) connection.disconnect();
  }
}
