import { connect, type Socket } from 'node:net';

/** What came back on a raw connection, and when. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the first byte sent to the first byte of the answer. */
  answeredAfterMs: number;
  /** Milliseconds from the first byte sent until the server closed the connection. */
  closedAfterMs: number;
}

/**
 * An HTTP/1.1 exchange byte for byte over a TCP socket, for requests no HTTP client would send
 * (malformed, oversized, trickled). `write` gets the socket to send the request its own way;
 * the answer is read until the server closes the connection.
 */
export function rawExchange(baseUrl: string, write: (socket: Socket) => void): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let started = 0;
    let answeredAfterMs = -1;
    socket.on('connect', () => {
      started = Date.now();
      write(socket);
    });
    socket.on('data', (chunk: Buffer) => {
      if (answeredAfterMs < 0) answeredAfterMs = Date.now() - started;
      chunks.push(chunk);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may reset a connection it refuses while the client is still sending.
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...headerLines] = head.split('\r\n');
      resolve({
        status: Number(statusLine.split(' ')[1] ?? 0),
        headers: Object.fromEntries(
          headerLines.map((line) => {
            const colon = line.indexOf(':');
            return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
          }),
        ),
        body: rest.join('\r\n\r\n'),
        answeredAfterMs,
        closedAfterMs: Date.now() - started,
      });
    });
  });
}

/** A whole request in one write, asking the server to close the connection after answering. */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  { headers = {}, body }: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawAnswer> {
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  const lines = [
    `${method} ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: close',
    ...(body === undefined ? [] : [`Content-Length: ${payload.length}`]),
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  // write, not end: a half-closed connection makes Node abort the request before it is answered.
  return rawExchange(baseUrl, (socket) =>
    socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), payload])),
  );
}
