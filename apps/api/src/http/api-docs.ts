import { createReadStream, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';

/** Where `npm run openapi` writes the document built from the code; the server serves it as it is. */
const OPENAPI_DOCUMENT = join(process.cwd(), 'openapi.json');

const SWAGGER_UI_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/**
 * Swagger UI at `/docs`, the OpenAPI document at `/docs-json` and ReDoc at `/redoc`, all served from
 * this repository and installed packages: the pages load nothing from elsewhere. The packages' files
 * are streamed from disk, not held in memory.
 */
export function serveOpenApiDocs(app: NestFastifyApplication): void {
  const document = JSON.stringify(JSON.parse(readFileSync(OPENAPI_DOCUMENT, 'utf8')));
  const swaggerUi = dirname(require.resolve('swagger-ui-dist/package.json'));
  const redocBundle = require.resolve('redoc/bundles/redoc.standalone.js');
  const fastify = app.getHttpAdapter().getInstance();

  fastify.get('/docs-json', (_request, reply) => reply.type('application/json; charset=utf-8').send(document));
  for (const path of ['/docs', '/docs/']) fastify.get(path, (_request, reply) => sendPage(reply, SWAGGER_UI_PAGE));
  fastify.get('/docs/swagger-initializer.js', (_request, reply) =>
    reply.type('application/javascript; charset=utf-8').send(SWAGGER_UI_INITIALIZER),
  );
  for (const [file, type] of Object.entries(SWAGGER_UI_FILES)) {
    fastify.get(`/docs/${file}`, (_request, reply) => sendFile(reply, join(swaggerUi, file), type));
  }

  fastify.get('/redoc', (_request, reply) => sendPage(reply, REDOC_PAGE));
  fastify.get('/redoc/redoc.standalone.js', (_request, reply) =>
    sendFile(reply, redocBundle, 'application/javascript; charset=utf-8'),
  );
}

function sendPage(reply: FastifyReply, page: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').header('content-security-policy', DOCS_CSP).send(page);
}

function sendFile(reply: FastifyReply, path: string, type: string): FastifyReply {
  return reply.type(type).header('cache-control', 'public, max-age=3600').send(createReadStream(path));
}

// The pages load nothing from elsewhere (ReDoc would fetch its logo from a CDN): everything is ours.
const DOCS_CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self'",
  "worker-src 'self' blob:",
  "font-src 'self' data:",
].join('; ');

const SWAGGER_UI_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>mediagen API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32" />
    <link rel="icon" type="image/png" href="/docs/favicon-16x16.png" sizes="16x16" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/swagger-initializer.js"></script>
  </body>
</html>
`;

// No validator badge: it would send the document to validator.swagger.io.
const SWAGGER_UI_INITIALIZER = `window.ui = SwaggerUIBundle({
  url: '/docs-json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
`;

const REDOC_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>mediagen API reference</title>
  </head>
  <body>
    <redoc spec-url="/docs-json" hide-download-button="false" disable-search="false"></redoc>
    <script src="/redoc/redoc.standalone.js"></script>
  </body>
</html>
`;
