import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { listenOnLoopback } from './loopback';
import { eventually } from './timing';

/**
 * How the receiver answers one request: a status code; a status after `delayMs` and/or with a
 * `Location`; or `'stall'`, which reads the request and never answers.
 */
export type ReceiverAnswer = number | 'stall' | { status: number; delayMs?: number; location?: string };

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as it arrived, as signatures cover it. */
  body: string;
  /** Date.now() when the whole body had arrived. */
  receivedAt: number;
}

/**
 * A webhook receiver on 127.0.0.1 that records every request and answers as scripted per path
 * (`script('/a', 500, 500, 200)`: the answers in turn, the last one repeating; 204 unscripted).
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly scripts = new Map<string, ReceiverAnswer[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server?: Server;
  /** The origin, e.g. `http://127.0.0.1:41234` (set by `start()`). */
  origin = '';

  async start(): Promise<string> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        const answers = this.scripts.get(path) ?? [204];
        const answer = answers[Math.min(this.received(path).length, answers.length - 1)];
        this.requests.push({
          method: request.method ?? '',
          path,
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          receivedAt: Date.now(),
        });
        if (answer === 'stall') return;
        const { status, delayMs = 0, location } = typeof answer === 'number' ? { status: answer } : answer;
        const reply = () => {
          if (response.destroyed) return;
          response.writeHead(status, location ? { location } : {});
          response.end(status === 204 ? undefined : `answered ${status}`);
        };
        if (delayMs === 0) return reply();
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          reply();
        }, delayMs);
        this.timers.add(timer);
      });
    });
    this.origin = `http://127.0.0.1:${await listenOnLoopback(server)}`;
    this.server = server;
    return this.origin;
  }

  /** Answers the requests to `path` with `answers` in turn; the last one repeats. */
  script(path: string, ...answers: ReceiverAnswer[]): string {
    this.scripts.set(path, answers.length > 0 ? answers : [204]);
    return `${this.origin}${path}`;
  }

  received(path: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  /** Resolves with the requests to `path` once there are at least `count` of them. */
  async waitFor(path: string, count: number, timeoutMs = 10_000): Promise<ReceivedRequest[]> {
    return eventually(
      () => {
        const received = this.received(path);
        return received.length >= count ? received : undefined;
      },
      timeoutMs,
      () => `${count} requests to ${path} (received ${this.received(path).length})`,
    );
  }

  /** Stops listening and drops every connection, stalled ones included. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }
}

/** What `new Webhook(secret).verify` makes of the request as received (it throws when the signature is wrong). */
export function verifySignature(secret: string, request: ReceivedRequest): unknown {
  return new Webhook(secret).verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  });
}
