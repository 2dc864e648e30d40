import type { DatabaseConfig, QueueConfig } from '@app/config';
import type { DatabaseState } from '@app/database';
import { type InfrastructureProbes, StartupError, waitForInfrastructure } from './startup-checks';

const database = { url: 'postgres://app:s3cret@db.internal:5433/media' } as DatabaseConfig;
const redis = { redis: { kind: 'standalone', url: 'redis://:pw@cache.internal:6380' } } as QueueConfig;

/** Probes that answer from scripts, one answer per try, the last one repeating; sleeps are recorded. */
function probes(databaseAnswers: DatabaseState[], redisAnswers: (string | null)[] = [null]) {
  const slept: number[] = [];
  const next = <T>(answers: T[]) => (answers.length > 1 ? answers.shift() : answers[0]) as T;
  const fake: InfrastructureProbes = {
    inspectDatabase: async () => next(databaseAnswers),
    pingRedis: async () => next(redisAnswers),
    sleep: async (ms) => {
      slept.push(ms);
    },
  };
  return { fake, slept };
}

function reporter() {
  const lines: string[] = [];
  return { lines, warn: (message: string) => lines.push(message) };
}

describe('waitForInfrastructure', () => {
  it('rule: a ready, migrated database and a reachable Redis start the app at once, saying nothing', async () => {
    const { fake, slept } = probes([{ kind: 'ready', pendingMigrations: 0 }]);
    const report = reporter();

    await waitForInfrastructure({ database, redis }, report, fake);

    expect(report.lines).toEqual([]);
    expect(slept).toEqual([]);
  });

  it('rule: an unreachable PostgreSQL is one line per try naming DATABASE_URL and its address (never the password), on the back-off schedule', async () => {
    const { fake, slept } = probes([
      { kind: 'unreachable', reason: 'connect ECONNREFUSED' },
      { kind: 'unreachable', reason: 'connect ECONNREFUSED' },
      { kind: 'unreachable', reason: 'connect ECONNREFUSED' },
      { kind: 'ready', pendingMigrations: 0 },
    ]);
    const report = reporter();

    await waitForInfrastructure({ database }, report, fake);

    expect(report.lines).toEqual([
      'PostgreSQL unreachable at db.internal:5433/media (DATABASE_URL): connect ECONNREFUSED; retrying in 0.5 s',
      'PostgreSQL unreachable at db.internal:5433/media (DATABASE_URL): connect ECONNREFUSED; retrying in 1 s',
      'PostgreSQL unreachable at db.internal:5433/media (DATABASE_URL): connect ECONNREFUSED; retrying in 2 s',
    ]);
    expect(slept).toEqual([500, 1000, 2000]);
    expect(report.lines.join('\n')).not.toContain('s3cret');
  });

  it.each([
    [{ kind: 'missing' } as DatabaseState, 'does not exist'],
    [{ kind: 'unmigrated' } as DatabaseState, 'has no tables'],
  ])(
    'rule: a database that waiting cannot fix (%j) stops the start, naming the command that fixes it',
    async (state, why) => {
      const { fake, slept } = probes([state]);

      const start = waitForInfrastructure({ database, redis }, reporter(), fake);

      await expect(start).rejects.toThrow(StartupError);
      await expect(start).rejects.toThrow(
        `Database db.internal:5433/media (DATABASE_URL) ${why}: run \`npm run migration:run\` to create and migrate it`,
      );
      expect(slept).toEqual([]);
    },
  );

  it('rule: pending migrations are said once, and the app still starts (readiness waits for them)', async () => {
    const { fake } = probes([{ kind: 'ready', pendingMigrations: 2 }]);
    const report = reporter();

    await waitForInfrastructure({ database }, report, fake);

    expect(report.lines).toEqual([
      'Database db.internal:5433/media has 2 pending migration(s): run `npm run migration:run` (not ready until then)',
    ]);
  });

  it('rule: the worker also waits for Redis, one line per try naming REDIS_URL and its address', async () => {
    const { fake, slept } = probes([{ kind: 'ready', pendingMigrations: 0 }], ['connect ECONNREFUSED', null]);
    const report = reporter();

    await waitForInfrastructure({ database, redis }, report, fake);

    expect(report.lines).toEqual([
      'Redis unreachable at cache.internal:6380 (REDIS_URL): connect ECONNREFUSED; retrying in 0.5 s',
    ]);
    expect(slept).toEqual([500]);
  });

  it('rule: the api, given no Redis settings, never asks Redis', async () => {
    const { fake } = probes([{ kind: 'ready', pendingMigrations: 0 }], ['never asked']);
    const ping = jest.spyOn(fake, 'pingRedis');

    await waitForInfrastructure({ database }, reporter(), fake);

    expect(ping).not.toHaveBeenCalled();
  });
});
