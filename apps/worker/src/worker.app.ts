import { AppLogger, QuietFrameworkLogger } from '@app/observability';
import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WorkerModule } from './worker.module';

/** Builds the worker: no HTTP listener, just the queue processor and what it needs. */
export async function createWorkerApp(): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true, abortOnError: false });
  app.useLogger(new QuietFrameworkLogger(app.get(AppLogger)));
  // Exits through process.exit once closed, so the log lines still buffered are written (the exit hook).
  app.enableShutdownHooks(undefined, { useProcessExit: true });
  return app;
}
