import { type AppConfig, type AuthConfig, appConfig, authConfig } from '@app/config';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { ApiModule } from './api.module';
import { serveOpenApiDocs } from './http/openapi';
import { createValidationPipe } from './http/request-validation';

/** Builds the HTTP app (not yet listening): Fastify, validation, problem errors, docs. */
export async function createApiApp(): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule, new FastifyAdapter(), {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  const config = app.get<AppConfig>(appConfig.KEY);
  const logger = app.get(Logger);
  app.useLogger(logger);
  if (Object.keys(app.get<AuthConfig>(authConfig.KEY).keyOwnersByHash).length === 0) {
    logger.warn('API_KEYS is not set: the API is open to anyone who can reach it', 'Bootstrap');
  }
  app.useBodyParser('application/json', { bodyLimit: config.bodyLimitBytes });
  // JSON is the only body the API takes; anything else gets Fastify's 415.
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  serveOpenApiDocs(app);
  return app;
}
