import { AsyncLocalStorage } from 'node:async_hooks';
import type { QueueConfig } from '@app/config';
import { Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QueueErrorListeners } from './queue-error-listeners';
import {
  createRedis,
  isRedisUnavailable,
  logRedisError,
  QueueRedis,
  reconnectDelayMs,
  redisConnectionOptions,
} from './queue-redis';
import { FakeBullQueue } from './testing/queue-fakes';

describe('Redis outage handling', () => {
  let warn: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  it.each([
    [1, 500],
    [2, 1000],
    [6, 16_000],
    [7, 30_000],
    [50, 30_000],
  ])('waits %i → %i ms before reconnecting (doubling, capped at 30 s)', (attempt, delay) => {
    expect(reconnectDelayMs(attempt)).toBe(delay);
  });

  it('logs one structured line per back-off step, however many connections reach it, naming the last error', () => {
    const logger = new Logger('test');
    const error = jest.spyOn(logger, 'error');
    const { retryStrategy } = redisConnectionOptions({ kind: 'standalone', url: 'redis://127.0.0.1:1' });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

    logRedisError(logger, 'Queue error', refused);
    retryStrategy(1);
    retryStrategy(1);
    retryStrategy(2);

    expect(error).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenCalledWith(
      { attempt: 1, retryInMs: 500, reason: 'connect ECONNREFUSED 127.0.0.1:1' },
      'Redis unreachable at 127.0.0.1:1 (REDIS_URL): connect ECONNREFUSED 127.0.0.1:1; retrying in 0.5 s',
    );
  });

  it('logs a step again once its delay has passed, and a new step at once', () => {
    // The schedule is shared by the whole process: steps 7 and 8 are not used by the other specs.
    jest.useFakeTimers({ now: Date.parse('2030-01-01T00:00:00Z') });
    try {
      const { retryStrategy } = redisConnectionOptions({ kind: 'standalone', url: 'redis://127.0.0.1:1' });
      const steps = () => warn.mock.calls.map(([fields]) => (fields as { attempt: number }).attempt);
      retryStrategy(7);
      jest.advanceTimersByTime(29_999);
      retryStrategy(7);
      expect(steps()).toEqual([7]);
      jest.advanceTimersByTime(1);
      retryStrategy(7);
      retryStrategy(8);
      expect(steps()).toEqual([7, 7, 8]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('still logs errors that are not about reaching Redis', () => {
    const logger = new Logger('test');
    const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const missing = new Error('Missing key for job 1. moveToFinished');

    logRedisError(logger, 'Queue worker error', missing);

    expect(error).toHaveBeenCalledWith({ err: missing }, 'Queue worker error');
  });

  it.each([
    ['a refused connection', Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), true],
    ['a command given up', Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' }), true],
    ['a closed connection', new Error('Connection is closed.'), true],
    ['a script error', new Error('ERR Error running script'), false],
    ['not an error', 'ECONNREFUSED', false],
  ])('isRedisUnavailable is right about %s', (_case, error, expected) => {
    expect(isRedisUnavailable(error)).toBe(expected);
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE'])(
    'rule: the network error %s means Redis is unreachable',
    (code) => {
      expect(isRedisUnavailable(Object.assign(new Error('x'), { code }))).toBe(true);
    },
  );
});

describe('createRedis', () => {
  afterEach(() => jest.restoreAllMocks());

  it('rule: a connection opened while serving a request reports its outage outside that request', async () => {
    const requests = new AsyncLocalStorage<string>();
    const seenIn: (string | undefined)[] = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => {
      seenIn.push(requests.getStore());
    });

    // Nothing listens on port 1: the connection fails and backs off at once.
    const redis = requests.run('request-1', () => createRedis({ kind: 'standalone', url: 'redis://127.0.0.1:1' }));
    redis.on('error', () => undefined);
    for (let waited = 0; seenIn.length === 0 && waited < 2000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    redis.disconnect();

    expect(seenIn).not.toContain('request-1');
  });
});

describe('QueueRedis', () => {
  /** Nothing listens on port 1: the connections are made, never used. */
  const config = { prefix: 'pfx', redis: { kind: 'standalone', url: 'redis://127.0.0.1:1' } } as QueueConfig;
  let redis: QueueRedis;

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    redis = new QueueRedis(config);
  });

  afterEach(() => {
    redis.onApplicationShutdown();
    jest.restoreAllMocks();
  });

  it('rule: every key and channel starts with the deployment’s prefix', () => {
    expect(redis.key('signals', 'cancel')).toBe('pfx:signals:cancel');
    expect(redis.key()).toBe('pfx');
  });

  it('rule: plain commands share one connection; a subscriber gets its own', () => {
    const shared = redis.client;

    expect(redis.client).toBe(shared);
    expect(redis.open()).not.toBe(shared);
  });

  it('rule: a command fails fast while Redis is down, and the connection reconnects on the shared schedule', () => {
    const { options } = redis.open() as Redis;

    expect(options).toMatchObject({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 1 });
    expect(options.retryStrategy).toBe(redisConnectionOptions(config.redis).retryStrategy);
  });

  it('rule: a connection error that is not about reaching Redis is logged', () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const scriptError = new Error('ERR Error running script');

    redis.open().emit('error', scriptError);

    expect(error).toHaveBeenCalledWith({ err: scriptError }, 'Redis connection error');
  });

  it('rule: shutdown closes every connection it opened', () => {
    const disconnects = [redis.client, redis.open()].map((connection) => jest.spyOn(connection, 'disconnect'));

    redis.onApplicationShutdown();

    for (const disconnect of disconnects) expect(disconnect).toHaveBeenCalled();
  });
});

describe('QueueErrorListeners', () => {
  it('rule: every queue’s error event is logged through the one Redis error policy', () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const queues = ['generation', 'webhooks', 'maintenance'].map((name) => new FakeBullQueue(name));
    const broken = new Error('ERR Error running script');

    new QueueErrorListeners(...(queues as unknown as [Queue, Queue, Queue]));
    for (const queue of queues) queue.emit('error', broken);

    expect(error.mock.calls).toEqual([
      [{ err: broken }, 'Queue generation error'],
      [{ err: broken }, 'Queue webhooks error'],
      [{ err: broken }, 'Queue maintenance error'],
    ]);
    error.mockRestore();
  });
});
