import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../../migrations';
import { JobEntity } from './entities/job.entity';

export interface DatabaseConnectionSettings {
  url: string;
  poolSize: number;
}

/**
 * The one TypeORM options builder: the Nest apps, the migration runner and the TypeORM CLI all
 * use it. Imports here stay relative because the CLI build does not rewrite `@app/*` aliases.
 */
export function buildDataSourceOptions(settings: DatabaseConnectionSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    entities: [JobEntity],
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    extra: { max: settings.poolSize, connectionTimeoutMillis: 5000 },
  };
}
