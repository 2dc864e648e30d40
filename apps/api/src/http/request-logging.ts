import { runInRequest } from '@app/observability';
import type { FastifyInstance } from 'fastify';
import type { Logger as Pino } from 'pino';

/** Requests not worth a line: scrapes and the browser's icon probe. */
const UNLOGGED_URLS = new Set(['/metrics', '/favicon.ico']);

/**
 * The one place where requests are logged and their ids handed around, as plain Fastify hooks
 * (no middleware chain): each request runs in its own logging context, so every line logged on
 * its behalf carries `req.id`; its id is echoed in `X-Request-Id`; and one line at info records
 * it once answered. The id is the caller's X-Request-Id or a generated one (see `createApiApp`).
 */
export function logRequests(fastify: FastifyInstance, logger: Pino): void {
  fastify
    .addHook('onRequest', (request, _reply, done) => runInRequest(request.id, done))
    .addHook('onSend', (request, reply, payload, done) => {
      reply.header('x-request-id', request.id);
      done(null, payload);
    })
    .addHook('onResponse', (request, reply, done) => {
      if (logger.isLevelEnabled('info') && !UNLOGGED_URLS.has(request.url)) {
        logger.info(
          {
            req: { id: request.id, method: request.method, url: request.url, remoteAddress: request.ip },
            res: { statusCode: reply.statusCode },
            responseTime: Math.round(reply.elapsedTime),
          },
          'request completed',
        );
      }
      done();
    });
}
