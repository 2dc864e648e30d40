import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The page loads only its own script and stylesheet and talks only to this origin; media is shown
 * through blob: URLs (fetched with the API key), so nothing else is allowed.
 */
export const UI_CSP = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  file: string;
  route: string;
  contentType: string;
}

const ASSETS: Asset[] = [
  { file: 'index.html', route: '/', contentType: 'text/html; charset=utf-8' },
  { file: 'app.js', route: '/ui/app.js', contentType: 'text/javascript; charset=utf-8' },
  { file: 'styles.css', route: '/ui/styles.css', contentType: 'text/css; charset=utf-8' },
];

/**
 * The browser UI: `/` (the page), `/ui/app.js` and `/ui/styles.css`, read once from `directory`.
 * Call before the app listens. The files are small and change only with a deploy, so they are held
 * in memory and revalidated by ETag.
 */
export async function serveUi(app: NestFastifyApplication, directory: string): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const loaded = await Promise.all(
    ASSETS.map(async (asset) => {
      const body = await readFile(join(directory, asset.file));
      return { ...asset, body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
    }),
  );
  for (const asset of loaded) {
    fastify.get(asset.route, (request: FastifyRequest, reply: FastifyReply) => {
      reply
        .header('content-type', asset.contentType)
        .header('cache-control', 'no-cache')
        .header('etag', asset.etag)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer');
      if (asset.route === '/') reply.header('content-security-policy', UI_CSP).header('x-frame-options', 'DENY');
      if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply.send(asset.body);
    });
  }
}
