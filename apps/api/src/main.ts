import { appConfig, authConfig, databaseConfig, generatorConfig, storageConfig } from '@app/config';
import { waitForInfrastructure } from '@app/jobs';
import { AppLogger, apiReadyLine, startupFailure, startupLogger } from '@app/observability';
import { createApiApp } from './api.app';

async function bootstrap(): Promise<void> {
  const app = appConfig();
  await waitForInfrastructure({ database: databaseConfig() }, startupLogger(app));
  const api = await createApiApp();
  await api.listen(app.port, app.host);
  const ready = apiReadyLine({ app, auth: authConfig(), generator: generatorConfig(), storage: storageConfig() });
  api.get(AppLogger).log(ready, 'Startup');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`${startupFailure('API', error, 'PORT')}\n`);
  process.exit(1);
});
