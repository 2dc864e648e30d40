import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Replicate from 'replicate';
import { createSingleShotFetch, UpstreamHttpError, UpstreamTimeoutError } from './upstream-fetch';

interface SeenRequest {
  method: string | undefined;
  url: string | undefined;
  authorization: string | undefined;
}

interface TestServer {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  port: number;
  requests: SeenRequest[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];

/** A real HTTP server on a free loopback port that records every request reaching it. */
async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
    handler(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const testServer: TestServer = {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(testServer);
  return testServer;
}

/** A port on which nothing listens: a server was opened there and closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const answer =
  (status: number, body: string, headers: Record<string, string> = {}) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };

/** Never answers; the connection is closed when the server is. */
const neverAnswer = () => undefined;

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the promise to reject, but it resolved');
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('createSingleShotFetch', () => {
  it('returns a 2xx answer as is, body unread', async () => {
    const server = await startServer(answer(200, '{"id":"p1"}', { 'x-upstream': 'yes' }));
    const returned: Response[] = [];
    const baseFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      returned.push(response);
      return response;
    };
    const singleShot = createSingleShotFetch(1000, baseFetch);

    const response = await singleShot(`${server.origin}/v1/predictions/p1`, { method: 'GET' });

    expect(response).toBe(returned[0]);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-upstream')).toBe('yes');
    expect(await response.json()).toEqual({ id: 'p1' });
    expect(server.requests).toHaveLength(1);
  });

  it('turns a non-2xx answer into UpstreamHttpError with its status, headers and body text', async () => {
    const body = '{"detail":"Request was throttled. Your rate limit resets in ~30s."}';
    const server = await startServer(answer(429, body, { 'retry-after': '7' }));
    const singleShot = createSingleShotFetch(1000);

    const error = await rejectionOf(singleShot(`${server.origin}/v1/predictions`, { method: 'POST', body: '{}' }));

    expect(error).toBeInstanceOf(UpstreamHttpError);
    const httpError = error as UpstreamHttpError;
    expect(httpError.status).toBe(429);
    expect(httpError.headers.get('retry-after')).toBe('7');
    expect(httpError.body).toBe(body);
    expect(httpError).toMatchObject({ name: 'UpstreamHttpError', message: 'Upstream answered HTTP 429' });
    expect(server.requests).toHaveLength(1);
  });

  it('reads a non-JSON error body as text', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad gateway</html>');
    });

    const error = await rejectionOf(createSingleShotFetch(1000)(`${server.origin}/v1/x`, { method: 'GET' }));

    expect(error).toBeInstanceOf(UpstreamHttpError);
    expect((error as UpstreamHttpError).status).toBe(502);
    expect((error as UpstreamHttpError).body).toBe('<html>Bad gateway</html>');
  });

  it('sends the same init object only once and gives the repeat the same rejection', async () => {
    const server = await startServer(answer(429, '{}'));
    const singleShot = createSingleShotFetch(1000);
    const init: RequestInit = { method: 'POST', body: '{"input":{}}' };
    const url = `${server.origin}/v1/models/a/b/predictions`;

    const first = await rejectionOf(singleShot(url, init));
    const second = await rejectionOf(singleShot(url, init));

    expect(first).toBeInstanceOf(UpstreamHttpError);
    expect(second).toBe(first);
    expect(server.requests).toHaveLength(1);
  });

  it('sends the same init object only once and gives the repeat the same response', async () => {
    const server = await startServer(answer(201, '{"id":"p1"}'));
    const singleShot = createSingleShotFetch(1000);
    const init: RequestInit = { method: 'POST', body: '{"input":{}}' };
    const url = `${server.origin}/v1/models/a/b/predictions`;

    const first = await singleShot(url, init);
    const second = await singleShot(url, init);

    expect(second).toBe(first);
    expect(await first.json()).toEqual({ id: 'p1' });
    expect(server.requests).toHaveLength(1);
  });

  it('also shares one request between concurrent calls with the same init object', async () => {
    const server = await startServer(answer(503, '{}'));
    const singleShot = createSingleShotFetch(1000);
    const init: RequestInit = { method: 'GET' };
    const url = `${server.origin}/v1/predictions/x`;

    const outcomes = await Promise.allSettled([singleShot(url, init), singleShot(url, init), singleShot(url, init)]);

    const reasons = outcomes.map((outcome) => (outcome.status === 'rejected' ? outcome.reason : outcome.value));
    expect(reasons[0]).toBeInstanceOf(UpstreamHttpError);
    expect(reasons[1]).toBe(reasons[0]);
    expect(reasons[2]).toBe(reasons[0]);
    expect(server.requests).toHaveLength(1);
  });

  it('sends separate requests for different init objects, even with equal contents', async () => {
    const server = await startServer(answer(200, '{}'));
    const singleShot = createSingleShotFetch(1000);
    const url = `${server.origin}/v1/predictions/x`;

    await singleShot(url, { method: 'GET' });
    await singleShot(url, { method: 'GET' });

    expect(server.requests).toHaveLength(2);
  });

  it('sends every call made without an init object', async () => {
    const server = await startServer(answer(200, '{}'));
    const singleShot = createSingleShotFetch(1000);

    await singleShot(`${server.origin}/a`);
    await singleShot(`${server.origin}/a`);

    expect(server.requests).toHaveLength(2);
  });

  it('rejects with UpstreamTimeoutError soon after the timeout when the server never answers', async () => {
    const server = await startServer(neverAnswer);
    const singleShot = createSingleShotFetch(100);
    const startedAt = Date.now();

    const error = await rejectionOf(singleShot(`${server.origin}/v1/predictions/x`, { method: 'GET' }));

    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect((error as UpstreamTimeoutError).timeoutMs).toBe(100);
    expect(error).toMatchObject({ name: 'UpstreamTimeoutError', message: 'Upstream did not answer within 100 ms' });
    expect(Date.now() - startedAt).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });

  it('counts reading the body of an error answer against the timeout', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.write('partial');
      // The body never ends.
    });
    const startedAt = Date.now();

    const error = await rejectionOf(createSingleShotFetch(100)(`${server.origin}/x`, { method: 'GET' }));

    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });

  it("honours the caller's own abort signal, which is not reported as a timeout", async () => {
    const server = await startServer(neverAnswer);
    const singleShot = createSingleShotFetch(10_000);
    const controller = new AbortController();
    const startedAt = Date.now();
    setTimeout(() => controller.abort(), 50);

    const error = await rejectionOf(singleShot(`${server.origin}/x`, { method: 'GET', signal: controller.signal }));

    expect(error).not.toBeInstanceOf(UpstreamTimeoutError);
    expect((error as Error).name).toBe('AbortError');
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });

  it('sends nothing when the caller passes an already aborted signal', async () => {
    const server = await startServer(answer(200, '{}'));
    const controller = new AbortController();
    controller.abort();

    const error = await rejectionOf(
      createSingleShotFetch(1000)(`${server.origin}/x`, { method: 'POST', signal: controller.signal }),
    );

    expect((error as Error).name).toBe('AbortError');
    expect(server.requests).toHaveLength(0);
  });

  it('rejects with a TypeError when the connection is refused', async () => {
    const port = await closedPort();

    const error = await rejectionOf(createSingleShotFetch(1000)(`http://127.0.0.1:${port}/x`, { method: 'POST' }));

    expect(error).not.toBeInstanceOf(UpstreamTimeoutError);
    expect(error).not.toBeInstanceOf(UpstreamHttpError);
    expect((error as Error).name).toBe('TypeError');
  });
});

describe('createSingleShotFetch tells its observer about every request', () => {
  const observing = (timeoutMs: number) => {
    const seen: [string, string, number][] = [];
    const singleShot = createSingleShotFetch(timeoutMs, fetch, (method, status, seconds) =>
      seen.push([method, status, seconds]),
    );
    return { singleShot, seen };
  };

  it('with its method and status, a non-2xx one included, and its duration in seconds', async () => {
    const server = await startServer((req, res) => {
      setTimeout(() => answer(req.method === 'POST' ? 201 : 404, '{}')(req, res), 60);
    });
    const { singleShot, seen } = observing(1000);

    await singleShot(`${server.origin}/a`, { method: 'POST' });
    await rejectionOf(singleShot(`${server.origin}/b`, { method: 'GET' }));

    expect(seen.map(([method, status]) => `${method} ${status}`)).toEqual(['POST 201', 'GET 404']);
    for (const [, , seconds] of seen) {
      expect(seconds).toBeGreaterThanOrEqual(0.05);
      expect(seconds).toBeLessThan(2);
    }
  });

  it('as GET when the call names no method', async () => {
    const server = await startServer(answer(200, '{}'));
    const { singleShot, seen } = observing(1000);

    await singleShot(`${server.origin}/a`);
    await singleShot(`${server.origin}/a`, {});

    expect(seen.map(([method]) => method)).toEqual(['GET', 'GET']);
  });

  it('as `timeout` when it ran out of time, and `error` when it failed otherwise', async () => {
    const silent = await startServer(neverAnswer);
    const port = await closedPort();
    const { singleShot, seen } = observing(100);

    await rejectionOf(singleShot(`${silent.origin}/x`, { method: 'GET' }));
    await rejectionOf(singleShot(`http://127.0.0.1:${port}/x`, { method: 'POST' }));

    expect(seen.map(([method, status]) => `${method} ${status}`)).toEqual(['GET timeout', 'POST error']);
  });

  it('once for a request sent once, however often it is repeated', async () => {
    const server = await startServer(answer(200, '{}'));
    const { singleShot, seen } = observing(1000);
    const init = { method: 'GET' };

    await singleShot(`${server.origin}/a`, init);
    await singleShot(`${server.origin}/a`, init);

    expect(seen).toHaveLength(1);
  });
});

describe('createSingleShotFetch inside the replicate client', () => {
  const clientFor = (server: TestServer, fetchFn: typeof fetch = createSingleShotFetch(1000)) =>
    new Replicate({ auth: 't', baseUrl: `${server.origin}/v1`, fetch: fetchFn, useFileOutput: false });

  it('shows, as a control, that the bare client re-sends a throttled create', async () => {
    const server = await startServer(answer(429, '{"detail":"throttled"}'));

    await expect(
      clientFor(server, fetch).predictions.create({ model: 'a/b', input: { prompt: 'x' } }),
    ).rejects.toThrow();

    expect(server.requests.length).toBeGreaterThan(1);
  });

  it('sends a create answered 429 exactly once and rejects with UpstreamHttpError 429', async () => {
    const server = await startServer(answer(429, '{"detail":"throttled"}'));

    const error = await rejectionOf(clientFor(server).predictions.create({ model: 'a/b', input: { prompt: 'x' } }));

    expect(error).toBeInstanceOf(UpstreamHttpError);
    expect((error as UpstreamHttpError).status).toBe(429);
    expect(server.requests).toEqual([{ method: 'POST', url: '/v1/models/a/b/predictions', authorization: 'Bearer t' }]);
  });

  it('sends a get answered 503 exactly once and rejects with UpstreamHttpError 503', async () => {
    const server = await startServer(answer(503, '{"detail":"unavailable"}'));

    const error = await rejectionOf(clientFor(server).predictions.get('x'));

    expect(error).toBeInstanceOf(UpstreamHttpError);
    expect((error as UpstreamHttpError).status).toBe(503);
    expect(server.requests).toEqual([{ method: 'GET', url: '/v1/predictions/x', authorization: 'Bearer t' }]);
  });

  it('sends a create exactly once when the server drops the connection', async () => {
    const server = await startServer((req) => req.socket.destroy());

    const error = await rejectionOf(clientFor(server).predictions.create({ model: 'a/b', input: { prompt: 'x' } }));

    expect((error as Error).name).toBe('TypeError');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ method: 'POST', url: '/v1/models/a/b/predictions' });
  });

  it('still hands a successful answer to the client once', async () => {
    const prediction = { id: 'p1', status: 'starting', urls: { get: 'x', cancel: 'y' } };
    const server = await startServer(answer(201, JSON.stringify(prediction)));

    const created = await clientFor(server).predictions.create({ model: 'a/b', input: { prompt: 'x' } });

    expect(created).toEqual(prediction);
    expect(server.requests).toHaveLength(1);
  });

  it('makes each client call a request of its own', async () => {
    const server = await startServer(answer(503, '{}'));
    const client = clientFor(server);

    await rejectionOf(client.predictions.get('x'));
    await rejectionOf(client.predictions.get('x'));

    expect(server.requests).toHaveLength(2);
  });
});
