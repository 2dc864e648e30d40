import { Logger } from '@nestjs/common';
import { isRedisUnavailable, logRedisError, reconnectDelayMs, redisConnectionOptions } from './queue-redis';

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
    const { retryStrategy } = redisConnectionOptions('redis://127.0.0.1:1');
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
});
