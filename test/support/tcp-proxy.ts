import { connect, createServer, type Server, type Socket } from 'node:net';
import { listenOnLoopback } from './loopback';

/**
 * A TCP proxy to stand between an app and PostgreSQL (or anything else), so a spec can cut the
 * connection: `close()` stops listening and destroys every open socket, as a network outage would;
 * `start()` brings it back on the same port. Started with `{ answer: false }` it accepts
 * connections but never forwards nor answers them, like a peer behind a route that drops packets.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** The port it listens on (kept after `close()` so it can be started again on it). */
  port = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  async start({ port = this.port, answer = true }: { port?: number; answer?: boolean } = {}): Promise<number> {
    const server = createServer((client) => (answer ? this.forward(client) : this.hold(client)));
    this.port = await listenOnLoopback(server, port);
    this.server = server;
    return this.port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  private hold(client: Socket): void {
    this.sockets.add(client);
    client.on('error', () => client.destroy());
    client.on('close', () => this.sockets.delete(client));
  }

  private forward(client: Socket): void {
    const upstream = connect(this.targetPort, this.targetHost);
    const destroyBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', destroyBoth);
      socket.on('close', () => {
        this.sockets.delete(socket);
        destroyBoth();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
