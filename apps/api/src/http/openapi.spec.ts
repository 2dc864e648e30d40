import { readFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ApiModule } from '../api.module';
import { buildOpenApiDocument } from './openapi';

describe('the committed OpenAPI document', () => {
  it('is exactly what the code produces (run `npm run openapi` after changing the API)', async () => {
    const app = await NestFactory.create(ApiModule, new FastifyAdapter(), { preview: true, logger: false });
    const produced = `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
    await app.close();

    expect(readFileSync('openapi.json', 'utf8')).toBe(produced);
  });
});
