import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import {
  appConfig,
  authConfig,
  databaseConfig,
  egressConfig,
  generatorConfig,
  queueConfig,
  storageConfig,
  webhooksConfig,
} from './config.namespaces';

/**
 * Loads `.env` and exposes the typed namespaces. Each namespace validates the whole environment
 * when it is built at boot, so a bad value stops the process before anything starts.
 */
@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      cache: true,
      load: [
        appConfig,
        authConfig,
        databaseConfig,
        queueConfig,
        storageConfig,
        generatorConfig,
        webhooksConfig,
        egressConfig,
      ],
    }),
  ],
})
export class AppConfigModule {}
