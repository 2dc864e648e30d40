import { runInRequest } from '@app/observability';
import type { FastifyInstance } from 'fastify';
import type { Logger as Pino } from 'pino';

/** Requests not worth a line: scrapes and the browser's icon probe. */
const UNLOGGED_URLS = new Set(['/metrics', '/favicon.ico']);

/** A media capability token in a query string (`?token=`): it opens the file to whoever holds it. */
const TOKEN_PARAMETER = /([?&]token=)[^&]*/gi;

/** The request's URL as logged: any capability token replaced. */
function loggedUrl(url: string): string {
  return url.includes('?') ? url.replace(TOKEN_PARAMETER, '$1[redacted]') : url;
}

/**
 * The one place where requests are logged and their ids handed around, as plain Fastify hooks
 * (no middleware chain): each request runs in its own logging context, so every line logged on
 * its behalf carries `req.id`; its id is echoed in `X-Request-Id`; and one line at info records
 * it once answered. The id is the caller's X-Request-Id or a generated one (see `createApiApp`).
 */
export function logRequests(fastify: FastifyInstance, logger: Pino): void {
  // The line is made here of known fields, no headers among them: pino's redaction (a copy of `req`
  // and `res` per line, half the line's cost) has nothing to find in it.
  const requestLines = logger.child({}, { redact: [] });
  fastify
    .addHook('onRequest', (request, _reply, done) => runInRequest(request.id, done))
    .addHook('onSend', (request, reply, payload, done) => {
      reply.header('x-request-id', request.id);
      done(null, payload);
    })
    .addHook('onResponse', (request, reply, done) => {
      if (requestLines.isLevelEnabled('info') && !UNLOGGED_URLS.has(request.url)) {
        requestLines.info(
          {
            req: { id: request.id, method: request.method, url: loggedUrl(request.url), remoteAddress: request.ip },
            res: { statusCode: reply.statusCode },
            responseTime: Math.round(reply.elapsedTime),
          },
          'request completed',
        );
      }
      done();
    });
}
