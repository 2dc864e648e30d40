import type { LookupAddress } from 'node:dns';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { countingServersPerTest } from '../../../test/support/counting-server';
import { DestinationPolicy, DestinationRefusedError } from './destination-policy';
import { guardedRequest } from './guarded-request';
import { HostResolver } from './host-resolver';

/** Every test name resolves to loopback, where the test servers listen. */
class LoopbackResolver extends HostResolver {
  async resolve(): Promise<LookupAddress[]> {
    return [{ address: '127.0.0.1', family: 4 }];
  }
}

const startServer = countingServersPerTest();

const redirectTo =
  (location: string, status = 302) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { location });
    res.end('moved');
  };
const answer = (body: string) => (_req: IncomingMessage, res: ServerResponse) => res.end(body);

const policy = new DestinationPolicy(['allowed.test', 'also-allowed.test'], new LoopbackResolver());
const get = (url: string, maxRedirects = 3) =>
  guardedRequest(policy, url, { method: 'GET', signal: AbortSignal.timeout(2000), allowHttp: true, maxRedirects });

async function text(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

async function refusal(promise: Promise<unknown>): Promise<DestinationRefusedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DestinationRefusedError);
  return error as DestinationRefusedError;
}

describe('guardedRequest', () => {
  it('reaches an allowed host', async () => {
    const server = await startServer(answer('hello'));

    const response = await get(`http://allowed.test:${server.port}/file`);

    expect(response.statusCode).toBe(200);
    expect(await text(response)).toBe('hello');
  });

  it('POSTs a body with its length', async () => {
    let received = '';
    const server = await startServer((req, res) => {
      req.on('data', (chunk: Buffer) => {
        received += chunk.toString();
      });
      req.on('end', () => res.end(req.headers['content-length']));
    });

    const response = await guardedRequest(policy, `http://allowed.test:${server.port}/hook`, {
      method: 'POST',
      body: 'payload',
      signal: AbortSignal.timeout(2000),
      allowHttp: true,
      maxRedirects: 0,
    });

    expect(await text(response)).toBe('7');
    expect(received).toBe('payload');
  });

  it.each(['http://127.0.0.1:PORT/secret', 'http://2130706433:PORT/secret', 'http://[::ffff:127.0.0.1]:PORT/x'])(
    'refuses %s before connecting',
    async (url) => {
      const internal = await startServer(answer('secret'));

      const error = await refusal(get(url.replace('PORT', String(internal.port))));

      expect(error.message).toBe('The destination must not point at a private or special-purpose address');
      expect(internal.hits).toEqual([]);
    },
  );

  it('refuses a name that resolves to loopback (rebinding) at connect time', async () => {
    const internal = await startServer(answer('secret'));

    const error = await refusal(get(`http://evil.test:${internal.port}/secret`));

    expect(error.message).toBe('The destination evil.test resolves to no public address');
    expect(internal.hits).toEqual([]);
  });

  it('follows a redirect to another allowed host, and a relative one', async () => {
    const target = await startServer(answer('arrived'));
    const middle = await startServer(redirectTo(`http://also-allowed.test:${target.port}/final`, 301));
    const first = await startServer(redirectTo(`http://allowed.test:${middle.port}/next`, 307));
    const relative = await startServer((req, res) =>
      req.url === '/start' ? redirectTo('/end', 303)(req, res) : answer('relative ok')(req, res),
    );

    expect(await text(await get(`http://allowed.test:${first.port}/start`))).toBe('arrived');
    expect(target.hits).toEqual([`GET also-allowed.test:${target.port}/final`]);
    expect(await text(await get(`http://allowed.test:${relative.port}/start`))).toBe('relative ok');
  });

  it.each([
    ['an internal address', 'http://127.0.0.1:PORT/secret', 'must not point at a private or special-purpose address'],
    ['a rebinding name', 'http://evil.test:PORT/secret', 'evil.test resolves to no public address'],
    ['localhost', 'http://localhost:PORT/secret', 'must not point at this machine'],
    ['another scheme', 'file:///etc/passwd', 'must be an http or https URL'],
  ])('refuses a redirect from an allowed host to %s, with no request to it', async (_case, location, reason) => {
    const internal = await startServer(answer('secret'));
    const redirector = await startServer(redirectTo(location.replace('PORT', String(internal.port))));

    const error = await refusal(get(`http://allowed.test:${redirector.port}/out.png`));

    expect(error.message).toBe(`A redirect target ${reason}`);
    expect(redirector.hits).toHaveLength(1);
    expect(internal.hits).toEqual([]);
  });

  it('answers the redirect itself once the limit is reached', async () => {
    const loop = await startServer((req, res) => redirectTo(`/again${req.url}`)(req, res));

    const response = await get(`http://allowed.test:${loop.port}/x`, 2);

    expect(response.statusCode).toBe(302);
    expect(loop.hits).toHaveLength(3);
    response.destroy();
  });

  it('follows no redirect with maxRedirects 0, nor for a POST', async () => {
    const target = await startServer(answer('arrived'));
    const redirector = await startServer(redirectTo(`http://allowed.test:${target.port}/final`, 308));

    expect((await get(`http://allowed.test:${redirector.port}/x`, 0)).statusCode).toBe(308);
    const posted = await guardedRequest(policy, `http://allowed.test:${redirector.port}/x`, {
      method: 'POST',
      body: '{}',
      signal: AbortSignal.timeout(2000),
      allowHttp: true,
      maxRedirects: 3,
    });
    expect(posted.statusCode).toBe(308);
    expect(target.hits).toEqual([]);
  });
});
