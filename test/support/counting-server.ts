import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback';

/** An HTTP server on loopback that records every request it gets (`METHOD host/path`, host as the client named it). */
export interface CountingServer {
  port: number;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  hits: string[];
  close(): Promise<void>;
}

/** Starts a stand-in for a host the service should (or must not) reach. */
export async function startCountingServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<CountingServer> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.headers.host}${req.url}`);
    handler(req, res);
  });
  const port = await listenOnLoopback(server);
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** For a spec file: starts servers like startCountingServer and closes them all after each test. */
export function countingServersPerTest(): typeof startCountingServer {
  const started: CountingServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((server) => server.close()));
  });
  return async (handler) => {
    const server = await startCountingServer(handler);
    started.push(server);
    return server;
  };
}
