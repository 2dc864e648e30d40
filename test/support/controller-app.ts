import { createHash } from 'node:crypto';
import type { AuthConfig } from '@app/config';
import type { Provider, Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { authenticateApiRequests } from '../../apps/api/src/http/api-key.guard';
import { ProblemDetailsFilter } from '../../apps/api/src/http/problem-details.filter';
import { RequestValidationPipe } from '../../apps/api/src/http/request-validation';

/** The key controller specs send; it belongs to OWNER. */
export const API_KEY = 'key-of-alice';
export const OWNER = 'alice';

/** What controller specs send to be let in. */
export const AUTHORIZED = { authorization: `Bearer ${API_KEY}` };

/**
 * One api controller on Fastify with the api's own request handling (API key check, JSON shape
 * and validation pipes, problem filter) and the given (mocked) providers. No database, no Redis.
 */
export async function startControllerApp(controller: Type, providers: Provider[]): Promise<NestFastifyApplication> {
  const module = await Test.createTestingModule({
    controllers: [controller],
    providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }, ...providers],
  }).compile();
  const app = module.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  app.useGlobalPipes(new RequestValidationPipe());
  const keyOwnersByHash = { [createHash('sha256').update(API_KEY).digest('hex')]: OWNER };
  authenticateApiRequests(app.getHttpAdapter().getInstance(), { keyOwnersByHash } as Partial<AuthConfig> as AuthConfig);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
