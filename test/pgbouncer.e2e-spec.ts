import { Client } from 'pg';
import { createIsolatedDatabase, type IsolatedDatabase } from './support/isolated-database';
import { itRunsTheJobFlow } from './support/job-flow';
import { PGBOUNCER, pgbouncerFound, type RunningPgBouncer, startPgBouncer } from './support/pgbouncer';
import { useService } from './support/service';

// The service through PgBouncer in transaction pooling mode: every transaction may run on a
// different server connection, so nothing may rely on session state (named prepared statements,
// advisory locks, LISTEN, SET). The api and the worker each keep DATABASE_POOL_SIZE (5) client
// connections; PgBouncer serves them all with 2 server connections. Debian's PgBouncer (1.18) cannot
// keep named prepared statements: the flow runs with them off, as the README says to set them there,
// and again with them left on, which the first refused statement turns off.

const describeWithPgBouncer = pgbouncerFound || process.env.CI ? describe : describe.skip;
const TITLE = pgbouncerFound
  ? 'through PgBouncer in transaction pooling mode'
  : `through PgBouncer: skipped, ${PGBOUNCER} not found (apt-get install pgbouncer)`;

let database: IsolatedDatabase;
let pgbouncer: RunningPgBouncer;
let connections: ServerConnections;
const unnamed: Record<string, string> = { MOCK_LATENCY_MS: '300', DATABASE_PREPARED_STATEMENTS: 'false' };
const preparedLeftOn: Record<string, string> = { MOCK_LATENCY_MS: '300' };

interface ServerConnections {
  /** The most connections to the database seen at once. */
  readonly peak: number;
  stop(): Promise<void>;
}

/** Samples, every 50 ms over a connection of its own, how many connections PostgreSQL serves to `url`'s database. */
async function watchServerConnections(url: string): Promise<ServerConnections> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  let peak = 0;
  const timer = setInterval(() => {
    client
      .query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name])
      .then(({ rows }) => {
        peak = Math.max(peak, rows[0].n);
      })
      .catch(() => undefined);
  }, 50);
  return {
    get peak() {
      return peak;
    },
    stop: async () => {
      clearInterval(timer);
      await client.end();
    },
  };
}

describeWithPgBouncer(TITLE, () => {
  beforeAll(async () => {
    // Migrations go straight to PostgreSQL (as the Kubernetes Job may); the apps go through PgBouncer.
    database = await createIsolatedDatabase('pgbouncer');
    pgbouncer = await startPgBouncer(database.url);
    for (const env of [unnamed, preparedLeftOn]) env.DATABASE_URL = pgbouncer.url;
    connections = await watchServerConnections(database.url);
  });

  afterAll(async () => {
    await connections?.stop();
    await pgbouncer?.stop();
    await database?.drop();
  });

  describe.each([
    ['api and worker, DATABASE_PREPARED_STATEMENTS=false', unnamed],
    ['api and worker, prepared statements left on', preparedLeftOn],
  ])('%s', (_, env) => {
    const running = useService(env);

    itRunsTheJobFlow(() => running.service);

    it('reports ready, and never had more server connections than the pool', async () => {
      const ready = await fetch(`${running.service.baseUrl}/health/ready`);
      expect(ready.status).toBe(200);
      expect(connections.peak).toBeGreaterThan(0);
      expect(connections.peak).toBeLessThanOrEqual(pgbouncer.poolSize);
    });
  });
});
