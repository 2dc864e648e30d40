import { appConfig, databaseConfig, generatorConfig, queueConfig, storageConfig } from '@app/config';
import { waitForInfrastructure } from '@app/jobs';
import { AppLogger, startupFailure, startupLogger, workerReadyLine } from '@app/observability';
import { HealthServer } from './health.server';
import { createWorkerApp } from './worker.app';

async function bootstrap(): Promise<void> {
  const app = appConfig();
  const queue = queueConfig();
  await waitForInfrastructure({ database: databaseConfig(), redis: queue }, startupLogger(app));
  const worker = await createWorkerApp();
  const health = worker.get(HealthServer).listening;
  const ready = workerReadyLine({ app, queue, health, generator: generatorConfig(), storage: storageConfig() });
  worker.get(AppLogger).log(ready, 'Startup');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`${startupFailure('Worker', error, 'WORKER_HEALTH_PORT')}\n`);
  process.exit(1);
});
