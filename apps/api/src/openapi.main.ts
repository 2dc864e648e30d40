import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { buildOpenApiDocument } from './http/openapi';
import { recordOpenApiMetadata } from './http/openapi-decorators';

/** `npm run openapi`: writes the spec to openapi.json from the code, without starting servers or touching a database. */
async function writeOpenApi(path = 'openapi.json'): Promise<void> {
  recordOpenApiMetadata();
  // Loaded only now: the API's classes are decorated as their modules load.
  const { ApiModule } = require('./api.module') as typeof import('./api.module');
  const app = await NestFactory.create(ApiModule, new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  writeFileSync(path, `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`);
  await app.close();
}

writeOpenApi().catch((error: unknown) => {
  process.stderr.write(
    `Could not write the OpenAPI document: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
