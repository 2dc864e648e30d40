import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../../migrations';
import { JobEntity } from './entities/job.entity';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';

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
    uuidExtension: 'pgcrypto',
    url: settings.url,
    entities: [JobEntity, WebhookDeliveryEntity],
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Bounded waits for a connection and for each query, and TCP keep-alive, so a silent or
    // vanished server turns into an error (a 503 for the api) instead of a request that hangs.
    extra: { max: settings.poolSize, connectionTimeoutMillis: 5000, query_timeout: 15_000, keepAlive: true },
  };
}
