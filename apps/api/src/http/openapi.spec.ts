import { readFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { buildOpenApiDocument } from './openapi';
import { recordOpenApiMetadata } from './openapi-decorators';

describe('the committed OpenAPI document', () => {
  it('is exactly what the code produces (run `npm run openapi` after changing the API)', async () => {
    recordOpenApiMetadata();
    // Loaded only now: the API's classes are decorated as their modules load.
    const { ApiModule } = require('../api.module') as typeof import('../api.module');
    const app = await NestFactory.create(ApiModule, new FastifyAdapter(), { preview: true, logger: false });
    const produced = `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
    await app.close();

    expect(readFileSync('openapi.json', 'utf8')).toBe(produced);
  });
});
