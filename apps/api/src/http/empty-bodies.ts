import type { FastifyInstance } from 'fastify';

/**
 * Replicate's clients send `Content-Type: application/json` on every request, bodiless POSTs
 * (cancel) included, and Fastify's JSON parser refuses an empty body. A request that declares an
 * empty body (`Content-Length: 0`) has nothing to parse, so its content type is dropped before
 * parsing; a body that is there is parsed (and refused) as before.
 */
export function acceptEmptyBodies(fastify: FastifyInstance): void {
  // A callback hook, not an async one: it runs on every request and has nothing to wait for.
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (request.headers['content-length'] === '0' && request.headers['transfer-encoding'] === undefined) {
      delete request.headers['content-type'];
    }
    done();
  });
}
