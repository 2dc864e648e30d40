import { existsSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../../config/src/config.namespaces';
import { buildDataSourceOptions } from './data-source.options';

// Entry point for the TypeORM CLI (`npm run migration:generate`), compiled by tsconfig.cli.json.
if (existsSync('.env')) process.loadEnvFile('.env');

export default new DataSource(buildDataSourceOptions(databaseConfig()));
