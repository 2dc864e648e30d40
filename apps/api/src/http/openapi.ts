import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { headerDoc } from './header-doc';

const packageJson = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version: string };

/** The OpenAPI document, built from the controllers and DTOs; keys sorted so the output is stable. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.0.3')
    .setTitle('mediagen')
    .setDescription(
      'Asynchronous media generation. Submit a prompt with `POST /v1/generate` (answered at once with ' +
        '`202` and the job), follow it with `GET /v1/jobs/{id}`, then download its outputs from ' +
        '`GET /v1/media/{jobId}/{file}`. Every error is an RFC 9457 problem (`application/problem+json`).',
    )
    .setVersion(packageJson.version)
    .setContact('mediagen maintainers', 'https://github.com/mediagen/mediagen', 'maintainers@mediagen.dev')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    // Relative: Swagger UI's "Try it out" calls the server that served it, whatever PORT or PUBLIC_BASE_URL say.
    .addServer('/', 'The server this document came from')
    // A plain bearer token: keys are opaque random strings (`npm run key`), not JWTs.
    .addSecurity('bearer', {
      type: 'http',
      scheme: 'bearer',
      description: 'An API key (`npm run key` makes one), when the server has API_KEYS set',
    })
    .addTag('jobs', 'Submit generation jobs and follow them')
    .addTag('media', 'Download generated outputs')
    .addTag(
      'predictions',
      "Replicate's prediction API: Replicate clients work with this server's `/v1` as their base URL",
    )
    .addTag('webhooks', 'Verify webhook deliveries')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
  declareRequestIdHeader(document);
  return sortKeys(document) as OpenAPIObject;
}

/** Every answer carries `X-Request-Id` (see api.app.ts): declared on each success answer, beside its own headers. */
function declareRequestIdHeader(document: OpenAPIObject): void {
  const header = headerDoc(
    'The id of this request (the `X-Request-Id` sent, or a new UUID); it is on every log line of the request',
  );
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations) as { responses?: Record<string, { headers?: object }> }[]) {
      for (const [status, response] of Object.entries(operation?.responses ?? {})) {
        if (/^[23]/.test(status)) response.headers = { 'X-Request-Id': header, ...response.headers };
      }
    }
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
