import { rm, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { Client } from 'pg';
import { ensureDatabaseExists } from '../../libs/database/src/ensure-database';
import { migrate } from '../../libs/database/src/migrate';
import { deleteKeys } from '../support/redis-keys';
import { dropDatabase, withPath } from '../support/scratch-databases';
import { BenchProcess } from './processes';

export interface BenchRunResources {
  /** PostgreSQL server URL; the run creates (and drops) `database` on it. */
  postgresUrl: string;
  database: string;
  redisUrl: string;
  /** Redis key prefixes whose keys the run deletes. */
  prefixes: string[];
  mediaRoot: string;
}

/**
 * What one bench run owns: a fresh migrated database and a connection to it, the processes it
 * starts, its Redis keys and media folder. `cleanup` removes all of it, once, also what an earlier
 * killed run left behind.
 */
export class BenchRun {
  readonly databaseUrl: string;
  private readonly processes: BenchProcess[] = [];
  private db?: Client;
  private cleaned?: Promise<void>;

  constructor(private readonly resources: BenchRunResources) {
    this.databaseUrl = withPath(resources.postgresUrl, `/${resources.database}`);
  }

  /** Removes leftovers of an earlier run, then creates and migrates the database and connects. */
  async open(): Promise<Client> {
    await this.removeLeftovers();
    await ensureDatabaseExists(this.databaseUrl);
    await migrate({ url: this.databaseUrl, poolSize: 2 });
    this.db = new Client({ connectionString: this.databaseUrl });
    await this.db.connect();
    return this.db;
  }

  database(): Client {
    if (!this.db) throw new Error('the bench database is not connected');
    return this.db;
  }

  /** A process of the run (not started yet); cleanup stops it. */
  process(name: string, args: string[], env: NodeJS.ProcessEnv, profile = false): BenchProcess {
    const child = new BenchProcess(name, args, env, profile);
    this.processes.push(child);
    return child;
  }

  /** Stops every process, drops the database, deletes the run's Redis keys and media. Idempotent. */
  cleanup(): Promise<void> {
    this.cleaned ??= (async () => {
      await Promise.allSettled(this.processes.map((child) => child.stop()));
      await this.db?.end().catch(() => undefined);
      this.db = undefined;
      await this.removeLeftovers();
    })();
    return this.cleaned;
  }

  private async removeLeftovers(): Promise<void> {
    const { redisUrl, prefixes, mediaRoot } = this.resources;
    for (const prefix of prefixes) await deleteKeys(`${prefix}:*`, redisUrl);
    await dropDatabase(this.databaseUrl);
    await rm(mediaRoot, { recursive: true, force: true });
  }
}

/**
 * Writes a bench's results file: when it started, how long it took, the machine and the settings,
 * then `results`. Says where, and sets the exit code from `results.pass`.
 */
export async function writeResults(
  file: string,
  started: number,
  settings: object,
  results: { pass: boolean } & Record<string, unknown>,
): Promise<void> {
  const seconds = Math.round((Date.now() - started) / 1000);
  const record = {
    date: new Date(started).toISOString(),
    seconds,
    machine: { cpus: cpus().length, node: process.version },
    settings: { ...settings, log: undefined },
    ...results,
  };
  await writeFile(
    file,
    `${JSON.stringify(record, null, 2)}
`,
  );
  process.stdout.write(`results in ${file} (${seconds} s)\n`);
  process.exitCode = results.pass ? 0 : 1;
}

/**
 * Runs `work`, then `run.cleanup()`, also when the work fails or is interrupted (Ctrl-C,
 * SIGTERM): a bench leaves no process, database, Redis key or media folder behind.
 */
export async function runThenClean(run: { cleanup(): Promise<void> }, work: () => Promise<void>): Promise<void> {
  const interrupted = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: cleaning up\n`);
    void run.cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    await work();
  } finally {
    await run.cleanup();
  }
}
