import { randomUUID } from 'node:crypto';
import { migrate } from '../../libs/database/src/migrate';
import { EnvironmentOverrides } from './environment-overrides';
import { dropDatabase } from './scratch-databases';
import { TEST_DATABASE_URL } from './test-database';

export interface IsolatedDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A migrated database of the spec's own, next to the shared `mediagen_test`. For specs whose
 * workers sweep aggressively (SWEEP_*_AGE_MS=0): the sweep takes every `queued`/`processing` row
 * of its database that its own queue prefix does not hold, so on the shared database it would take
 * over the jobs of the e2e files running at the same time.
 */
export async function createIsolatedDatabase(tag: string): Promise<IsolatedDatabase> {
  const url = new URL(TEST_DATABASE_URL);
  const name = `${url.pathname.slice(1)}_${tag}_${randomUUID().slice(0, 8)}`;
  url.pathname = `/${name}`;
  await migrate({ url: url.toString(), poolSize: 2 });
  return { url: url.toString(), drop: () => dropDatabase(url.toString()) };
}

/**
 * Gives the enclosing block (a whole file, at its top level) an isolated database: created and set
 * as DATABASE_URL, with `env`, before its tests; the environment restored and the database dropped
 * after them. Read `url` inside tests.
 */
export function useIsolatedDatabase(tag: string, env: Record<string, string> = {}): { readonly url: string } {
  const overrides = new EnvironmentOverrides();
  let database: IsolatedDatabase | undefined;
  beforeAll(async () => {
    database = await createIsolatedDatabase(tag);
    overrides.set({ DATABASE_URL: database.url, ...env });
  });
  afterAll(async () => {
    overrides.restore();
    await database?.drop();
  });
  return {
    get url() {
      if (!database) throw new Error('the database is not created yet: use it inside a test');
      return database.url;
    },
  };
}
