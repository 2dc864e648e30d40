import type { IncomingMessage, ServerResponse } from 'node:http';
import { DestinationPolicy, DestinationRefusedError } from '@app/egress';
import { countingServersPerTest } from '../../../test/support/counting-server';
import { webhooksConfigFor } from './testing/webhook-fakes';
import { WebhookSender } from './webhook-sender';

const startServer = countingServersPerTest();
/** Receivers listen on loopback, which EGRESS_ALLOW_HOSTS lets through here. */
const loopbackAllowed = new DestinationPolicy(['127.0.0.1']);
const request = (url: string) => ({ url, headers: { 'x-test': 'yes' }, body: '{"type":"job.completed"}' });

describe('WebhookSender', () => {
  it('rule: POSTs the body with its headers and resolves with the receiver’s status', async () => {
    let seen = { method: '', header: '', body: '' };
    const server = await startServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk;
      });
      req.on('end', () => {
        seen = { method: req.method ?? '', header: String(req.headers['x-test']), body };
        res.writeHead(202).end('thanks');
      });
    });

    const status = await new WebhookSender(loopbackAllowed, webhooksConfigFor()).send(request(`${server.origin}/h`));

    expect(status).toBe(202);
    expect(seen).toEqual({ method: 'POST', header: 'yes', body: '{"type":"job.completed"}' });
  });

  it('rule: follows no redirect (the receiver’s 3xx is its answer)', async () => {
    const server = await startServer((req, res) => {
      if (req.url === '/moved') res.writeHead(307, { location: '/elsewhere' }).end();
      else res.writeHead(200).end();
    });

    const status = await new WebhookSender(loopbackAllowed, webhooksConfigFor()).send(
      request(`${server.origin}/moved`),
    );

    expect(status).toBe(307);
    expect(server.hits).toEqual([`POST 127.0.0.1:${server.port}/moved`]);
  });

  it('rule: connects only where the egress policy allows', async () => {
    const server = await startServer((_req, res) => res.end());

    const sending = new WebhookSender(new DestinationPolicy([]), webhooksConfigFor()).send(request(server.origin));

    await expect(sending).rejects.toBeInstanceOf(DestinationRefusedError);
    expect(server.hits).toEqual([]);
  });

  it('rule: plain http is refused unless WEBHOOK_ALLOW_HTTP is on', async () => {
    const server = await startServer((_req, res) => res.end());

    const sending = new WebhookSender(loopbackAllowed, webhooksConfigFor({ allowHttp: false })).send(
      request(server.origin),
    );

    await expect(sending).rejects.toThrow('The destination must be an https URL');
  });

  it('rule: reads at most 64 KiB of the answer, then hangs up', async () => {
    let written = 0;
    const server = await startServer((_req, res: ServerResponse) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 1);
      // An endless answer: only the sender hanging up ends it.
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) written += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });

    const started = Date.now();
    const status = await new WebhookSender(loopbackAllowed, webhooksConfigFor({ timeoutMs: 30_000 })).send(
      request(server.origin),
    );

    expect(status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(written).toBeGreaterThan(0);
  });

  it('rule: gives up after WEBHOOK_TIMEOUT_MS when the receiver does not answer', async () => {
    const server = await startServer((_req: IncomingMessage, _res: ServerResponse) => undefined);

    const started = Date.now();
    const sending = new WebhookSender(loopbackAllowed, webhooksConfigFor({ timeoutMs: 200 })).send(
      request(server.origin),
    );

    await expect(sending).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
