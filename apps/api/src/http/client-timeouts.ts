import type { Server } from 'node:http';
import type { AppConfig } from '@app/config';
import type { FastifyHttpOptions } from 'fastify';

/**
 * The one place where how long a client may take is decided. HTTP_REQUEST_TIMEOUT_MS bounds the
 * time to send a whole request (headers and body) and stops counting once it is in, so a
 * `Prefer: wait` of up to 60 s is unaffected; a client dripping bytes is answered 408 and cut off.
 * HTTP_CONNECTION_TIMEOUT_MS closes a connection that stays silent (above 60 s, for those waits).
 */
export function clientTimeouts(config: AppConfig): Partial<FastifyHttpOptions<Server>> {
  const requestTimeout = config.requestTimeoutMs;
  return {
    requestTimeout,
    connectionTimeout: config.connectionTimeoutMs,
    // Node enforces requestTimeout only while headersTimeout is no longer (its default is 60 s),
    // and checks both only every connectionsCheckingInterval (default 30 s).
    ...(requestTimeout > 0 && {
      http: {
        headersTimeout: requestTimeout,
        connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeout / 4))),
      },
    }),
  };
}
