import { type DatabaseConfig, type QueueConfig } from '@app/config';
import { type DatabaseState, databaseAddress, inspectDatabase } from '@app/database';
import { describeRedis, pingRedis, reconnectDelayMs } from '@app/queue';

/** Where start-up checks report: one line per call. */
export interface StartupReporter {
  warn(message: string): void;
}

/** A setting that must change before the app can start; its message names the fix. */
export class StartupError extends Error {
  override name = 'StartupError';
}

const MIGRATE = 'run `npm run migration:run` to create and migrate it';

/** How the infrastructure is looked at; the real probes unless a spec gives its own. */
export interface InfrastructureProbes {
  inspectDatabase(url: string): Promise<DatabaseState>;
  pingRedis: typeof pingRedis;
  sleep(ms: number): Promise<unknown>;
}

const REAL_PROBES: InfrastructureProbes = {
  inspectDatabase,
  pingRedis,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * The one place where an app waits for PostgreSQL (and, for the worker, Redis) before it boots.
 * While one cannot be reached it says so in one line naming the variable and the address, and
 * tries again on the reconnect schedule (0.5 s doubling to 30 s); a missing or unmigrated
 * database is a `StartupError` naming the command that fixes it.
 */
export async function waitForInfrastructure(
  settings: { database: DatabaseConfig; redis?: QueueConfig },
  reporter: StartupReporter,
  probes: InfrastructureProbes = REAL_PROBES,
): Promise<void> {
  const { sleep } = probes;
  const database = databaseAddress(settings.database.url);
  await retryUntil(
    async () => {
      const state = await probes.inspectDatabase(settings.database.url);
      if (state.kind === 'missing')
        throw new StartupError(`Database ${database} (DATABASE_URL) does not exist: ${MIGRATE}`);
      if (state.kind === 'unmigrated')
        throw new StartupError(`Database ${database} (DATABASE_URL) has no tables: ${MIGRATE}`);
      if (state.kind === 'unreachable') return `PostgreSQL unreachable at ${database} (DATABASE_URL): ${state.reason}`;
      if (state.pendingMigrations > 0) {
        reporter.warn(
          `Database ${database} has ${state.pendingMigrations} pending migration(s): run \`npm run migration:run\` (not ready until then)`,
        );
      }
      return null;
    },
    reporter,
    sleep,
  );
  const redis = settings.redis?.redis;
  if (redis) {
    await retryUntil(
      async () => {
        const reason = await probes.pingRedis(redis);
        return reason && `Redis unreachable at ${describeRedis(redis)}: ${reason}`;
      },
      reporter,
      sleep,
    );
  }
}

/** Runs `check` until it reports no problem, logging each problem with the wait before the next try. */
async function retryUntil(
  check: () => Promise<string | null>,
  reporter: StartupReporter,
  sleep: (ms: number) => Promise<unknown>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const problem = await check();
    if (problem === null) return;
    const delayMs = reconnectDelayMs(attempt);
    reporter.warn(`${problem}; retrying in ${delayMs / 1000} s`);
    await sleep(delayMs);
  }
}
