import { Writable } from 'node:stream';
import { createPino, currentRequestId } from '@app/observability';
import Fastify, { type FastifyInstance } from 'fastify';
import { logRequests } from './request-logging';

/** A Fastify app with the request hooks, its log lines captured. */
function appWithRequestLogging(level = 'info'): { app: FastifyInstance; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const app = Fastify({ requestIdHeader: 'x-request-id', genReqId: () => 'generated-id' });
  logRequests(app, createPino({ level, pretty: false }, sink));
  // What a handler (and everything it awaits) sees as its request.
  const seen = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return { requestId: currentRequestId() ?? null };
  };
  app.get('/v1/thing', seen);
  app.post('/v1/thing', seen);
  app.get('/metrics', async () => 'metrics');
  return { app, lines };
}

describe('logRequests', () => {
  it('runs GET and POST handlers (after the body is read) as part of their request, and echoes its id', async () => {
    const { app } = appWithRequestLogging();
    // Over a real socket: the body arrives in its own I/O callbacks, after the request's hooks ran.
    const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/v1/thing`;
    try {
      const get = await fetch(url, { headers: { 'x-request-id': 'trace-1' } });
      const post = await fetch(url, {
        method: 'POST',
        headers: { 'x-request-id': 'trace-2', 'content-type': 'application/json' },
        // Large enough to arrive in several reads.
        body: JSON.stringify({ prompt: 'a body read from the socket '.repeat(20_000) }),
      });

      expect(await get.json()).toEqual({ requestId: 'trace-1' });
      expect(get.headers.get('x-request-id')).toBe('trace-1');
      expect(await post.json()).toEqual({ requestId: 'trace-2' });
      expect(post.headers.get('x-request-id')).toBe('trace-2');
    } finally {
      await app.close();
    }
  });

  it('writes one line per answered request at info, without headers, and none for /metrics', async () => {
    const { app, lines } = appWithRequestLogging();

    await app.inject({ method: 'GET', url: '/v1/thing', headers: { authorization: 'Bearer secret' } });
    await app.inject({ method: 'GET', url: '/metrics' });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { id: 'generated-id', method: 'GET', url: '/v1/thing' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });
    expect(JSON.stringify(lines[0])).not.toContain('secret');
  });

  it('never writes a capability token from the query string', async () => {
    const { app, lines } = appWithRequestLogging();

    await app.inject({ method: 'GET', url: '/v1/thing?size=2&token=capability-secret&token=other-secret' });
    await app.inject({ method: 'GET', url: '/v1/thing?token=' });

    expect(lines.map((line) => (line.req as { url: string }).url)).toEqual([
      '/v1/thing?size=2&token=[redacted]&token=[redacted]',
      '/v1/thing?token=[redacted]',
    ]);
  });

  it('writes no request line above info', async () => {
    const { app, lines } = appWithRequestLogging('warn');

    await app.inject({ method: 'GET', url: '/v1/thing' });

    expect(lines).toEqual([]);
  });
});
