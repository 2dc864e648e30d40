import { existsSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../../config/src/config.namespaces';
import { buildDataSourceOptions, type DatabaseConnectionSettings } from './data-source.options';
import { ensureDatabaseExists } from './ensure-database';

/** Creates the database if needed and applies pending migrations. Returns the names applied. */
export async function migrate(settings: DatabaseConnectionSettings = databaseConfig()): Promise<string[]> {
  await ensureDatabaseExists(settings.url);
  const dataSource = new DataSource(buildDataSourceOptions(settings));
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations();
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  if (existsSync('.env')) process.loadEnvFile('.env');
  migrate()
    .then((applied) => {
      process.stdout.write(applied.length ? `Applied migrations: ${applied.join(', ')}\n` : 'Database is up to date\n');
    })
    .catch((error: unknown) => {
      process.stderr.write(`Migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
}
