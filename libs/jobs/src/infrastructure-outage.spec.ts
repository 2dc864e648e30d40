import { decideOutageWait, isInfrastructureUnavailable } from './infrastructure-outage';

const HOUR_MS = 3600 * 1000;
const NOW = 1_000_000_000;
const maxJitter = () => 0.999_999;
const minJitter = () => 0;

describe('decideOutageWait', () => {
  it('starts counting the outage at its first check, one second or less away', () => {
    const decision = decideOutageWait(undefined, undefined, NOW, HOUR_MS, maxJitter);

    expect(decision).toStrictEqual({ giveUp: false, delayMs: 1000, wait: { since: NOW, checks: 1 } });
  });

  it.each([
    [1, 2000],
    [4, 16_000],
    [5, 32_000],
    [6, 60_000],
    [40, 60_000],
  ])('after %i checks waits at most %i ms (doubling, capped at a minute)', (checks, ceiling) => {
    const wait = { since: NOW - 1000, checks };

    const longest = decideOutageWait(wait, undefined, NOW, HOUR_MS, maxJitter);
    const shortest = decideOutageWait(wait, undefined, NOW, HOUR_MS, minJitter);

    expect(longest).toMatchObject({ giveUp: false, delayMs: ceiling, wait: { since: NOW - 1000, checks: checks + 1 } });
    expect(shortest).toMatchObject({ delayMs: ceiling / 2 });
  });

  it('remembers an unrecorded attempt until a run settles it', () => {
    const first = decideOutageWait(undefined, 2, NOW, HOUR_MS);
    const later = decideOutageWait({ since: NOW, checks: 1, unrecordedAttempt: 2 }, undefined, NOW + 1000, HOUR_MS);

    expect(first).toMatchObject({ wait: { unrecordedAttempt: 2 } });
    expect(later).toMatchObject({ wait: { unrecordedAttempt: 2, checks: 2 } });
  });

  it('gives up once the outage lasted the ceiling, not before', () => {
    const wait = { since: NOW - HOUR_MS, checks: 70 };

    expect(decideOutageWait(wait, undefined, NOW, HOUR_MS)).toEqual({ giveUp: true });
    expect(decideOutageWait(wait, undefined, NOW - 1, HOUR_MS)).toMatchObject({ giveUp: false });
  });
});

describe('isInfrastructureUnavailable', () => {
  const withCode = (code: string) => Object.assign(new Error('x'), { code });

  it.each([
    ['PostgreSQL shutting down', withCode('57P01')],
    ['PostgreSQL refusing connections', withCode('ECONNREFUSED')],
    ['a pool connect timeout', new Error('timeout exceeded when trying to connect')],
    [
      'ioredis giving up a command',
      Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' }),
    ],
    ['a closed Redis connection', new Error('Connection is closed.')],
  ])('is true for %s', (_name, error) => {
    expect(isInfrastructureUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('23505')],
    ['a plain error', new Error('boom')],
    ['no error at all', undefined],
  ])('is false for %s', (_name, error) => {
    expect(isInfrastructureUnavailable(error)).toBe(false);
  });
});
