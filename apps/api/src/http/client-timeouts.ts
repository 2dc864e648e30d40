import type { Server } from 'node:http';
import type { AppConfig } from '@app/config';

/**
 * The one place where how long a client may take is decided. HTTP_REQUEST_TIMEOUT_MS bounds the
 * time to send a whole request (headers and body) and stops counting once it is in, so a
 * `Prefer: wait` of up to 60 s is unaffected; a client dripping bytes is answered 408 and cut off.
 * HTTP_CONNECTION_TIMEOUT_MS closes a connection that stays silent (above 60 s, for those waits).
 * Applied to the Node server before it listens (what Fastify's requestTimeout and
 * connectionTimeout options do), once the configuration, `.env` included, is loaded.
 */
export function applyClientTimeouts(server: Server, config: AppConfig): void {
  server.setTimeout(config.connectionTimeoutMs);
  const requestTimeout = config.requestTimeoutMs;
  if (requestTimeout === 0) return;
  server.requestTimeout = requestTimeout;
  // Node enforces requestTimeout only while headersTimeout is no longer (its default is 60 s)...
  server.headersTimeout = requestTimeout;
  // ...and checks both only every connectionsCheckingInterval (default 30 s), read when it starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(
    50,
    Math.min(1000, Math.floor(requestTimeout / 4)),
  );
}
