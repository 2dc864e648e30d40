import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type AppConfig, type AuthConfig, appConfig, authConfig } from '@app/config';
import { AppLogger, HttpMetrics, QuietFrameworkLogger } from '@app/observability';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiModule } from './api.module';
import { serveOpenApiDocs } from './http/api-docs';
import { authenticateApiRequests } from './http/api-key.guard';
import { edgeErrorAnswers } from './http/client-error';
import { applyClientTimeouts } from './http/client-timeouts';
import { acceptEmptyBodies } from './http/empty-bodies';
import { logRequests } from './http/request-logging';
import { RequestValidationPipe } from './http/request-validation';
import { mountQueueDashboard } from './ops/queue-dashboard';
import { serveUi } from './ui/serve-ui';

/** Builds the HTTP app (not yet listening): Fastify, validation, problem errors, docs. */
export async function createApiApp(): Promise<NestFastifyApplication> {
  // Every request gets an id (the caller's X-Request-Id if sent): it is on each of its log lines
  // and echoed in the response (http/request-logging.ts).
  const adapter = new FastifyAdapter({
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // No Nest middleware here: every cross-cutting step is a Fastify hook, so middie's chain is not run.
    skipMiddie: true,
    multipart: false,
    ...edgeErrorAnswers,
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule, adapter, {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  const config = app.get<AppConfig>(appConfig.KEY);
  applyClientTimeouts(app.getHttpServer(), config);
  const logger = app.get(AppLogger);
  app.useLogger(new QuietFrameworkLogger(logger));
  const auth = app.get<AuthConfig>(authConfig.KEY);
  if (Object.keys(auth.keyOwnersByHash).length === 0) {
    logger.warn('API_KEYS is not set: the API is open to anyone who can reach it', 'Bootstrap');
  }
  app.useBodyParser('application/json', { bodyLimit: config.bodyLimitBytes });
  const fastify = app.getHttpAdapter().getInstance();
  // JSON is the only body the API takes; anything else gets Fastify's 415.
  fastify.removeContentTypeParser('text/plain');
  acceptEmptyBodies(fastify);
  app.useGlobalPipes(new RequestValidationPipe());
  logRequests(fastify, logger.pino);
  authenticateApiRequests(fastify, auth);
  const httpMetrics = app.get(HttpMetrics);
  fastify.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL: unmatched paths share one label.
    const route = request.is404 ? undefined : request.routeOptions.url;
    httpMetrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  // Exits through process.exit once closed, so the log lines still buffered are written (the exit hook).
  app.enableShutdownHooks(undefined, { useProcessExit: true });
  serveOpenApiDocs(app);
  // The try-it page at `/`; its static files ship beside the app (apps/api/ui).
  if (config.uiEnabled) await serveUi(app, join(process.cwd(), 'apps/api/ui'));
  await mountQueueDashboard(app, auth.admin);
  return app;
}
