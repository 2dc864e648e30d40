import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DestinationPolicy } from '@app/egress';
import { PNG } from 'pngjs';
import { countingServersPerTest } from '../../../test/support/counting-server';
import { GenerationError } from './generation.error';
import { OutputDownloader } from './output-downloader';

const startServer = countingServersPerTest();

const PNG_BYTES: Buffer = PNG.sync.write(new PNG({ width: 2, height: 2 }));

const serve =
  (body: Buffer | string, headers: Record<string, string | number> = {}, status = 200) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  };

/** Writes the body in small pieces with pauses between them, without Content-Length (chunked). */
const trickle =
  (body: Buffer, pieceSize: number, headers: Record<string, string> = {}) =>
  async (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, headers);
    for (let offset = 0; offset < body.length; offset += pieceSize) {
      if (res.destroyed) return;
      res.write(body.subarray(offset, offset + pieceSize));
      await sleep(2);
    }
    res.end();
  };

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function rejectionOf(promise: Promise<unknown>): Promise<GenerationError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GenerationError);
    return error as GenerationError;
  }
  throw new Error('Expected the promise to reject, but it resolved');
}

// The test servers listen on loopback, which the policy allows here as EGRESS_ALLOW_HOSTS would.
const LOOPBACK_ALLOWED = new DestinationPolicy(['127.0.0.1']);
const downloader = (settings: Partial<{ timeoutMs: number; maxBytes: number }> = {}, policy = LOOPBACK_ALLOWED) =>
  new OutputDownloader({ timeoutMs: 2000, maxBytes: 1024 * 1024, ...settings }, policy);

describe('OutputDownloader over http', () => {
  it('types a PNG served as application/octet-stream by its bytes and streams exactly those bytes', async () => {
    const server = await startServer(serve(PNG_BYTES, { 'content-type': 'application/octet-stream' }));

    const media = await downloader().open(`${server.origin}/out-0`);

    expect(media.contentType).toBe('image/png');
    expect(media.extension).toBe('png');
    expect((await readAll(media.content)).equals(PNG_BYTES)).toBe(true);
  });

  it('reassembles a body written in many small chunks', async () => {
    const server = await startServer(trickle(PNG_BYTES, 3, { 'content-type': 'application/octet-stream' }));

    const media = await downloader().open(`${server.origin}/out-0`);

    expect(media.contentType).toBe('image/png');
    expect((await readAll(media.content)).equals(PNG_BYTES)).toBe(true);
  });

  it('uses the declared type when the bytes are not recognised', async () => {
    const server = await startServer(
      serve('{"caption":"a cat"}', { 'content-type': 'application/json; charset=utf-8' }),
    );

    const media = await downloader().open(`${server.origin}/out.json`);

    expect(media).toMatchObject({ contentType: 'application/json', extension: 'json' });
    expect((await readAll(media.content)).toString()).toBe('{"caption":"a cat"}');
  });

  it('handles a body shorter than the sniffing window', async () => {
    const server = await startServer(serve('hi', { 'content-type': 'text/plain' }));

    const media = await downloader().open(`${server.origin}/short.txt`);

    expect(media).toMatchObject({ contentType: 'text/plain', extension: 'txt' });
    expect((await readAll(media.content)).toString()).toBe('hi');
  });

  it('accepts a body of exactly maxBytes', async () => {
    const body = Buffer.alloc(64, 7);
    const server = await startServer(trickle(body, 10));

    const media = await downloader({ maxBytes: 64 }).open(`${server.origin}/exact`);

    expect((await readAll(media.content)).equals(body)).toBe(true);
  });

  it('rejects from open when Content-Length announces more than maxBytes', async () => {
    const server = await startServer(serve(Buffer.alloc(100, 1)));

    const error = await rejectionOf(downloader({ maxBytes: 50 }).open(`${server.origin}/big`));

    expect(error.code).toBe('output_too_large');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('50');
  });

  it('fails while streaming a chunked body that grows past maxBytes, after at most maxBytes', async () => {
    const server = await startServer(trickle(Buffer.alloc(200, 1), 10));
    const media = await downloader({ maxBytes: 50 }).open(`${server.origin}/big`);
    let received = 0;

    const error = await rejectionOf(
      (async () => {
        for await (const chunk of media.content) received += (chunk as Buffer).length;
      })(),
    );

    expect(error.code).toBe('output_too_large');
    expect(error.retryable).toBe(false);
    expect(received).toBeLessThanOrEqual(50);
  });

  it('fails while streaming a chunked body that arrives past maxBytes all at once', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.alloc(200, 1));
    });

    const error = await rejectionOf(
      (async () => {
        const media = await downloader({ maxBytes: 50 }).open(`${server.origin}/big`);
        await readAll(media.content);
      })(),
    );

    expect(error.code).toBe('output_too_large');
    expect(error.retryable).toBe(false);
  });

  it.each([403, 404, 410])(
    'treats HTTP %i as a gone output, not retried, without echoing the answer',
    async (status) => {
      const server = await startServer(
        serve('<Error>NoSuchKey</Error>', { 'content-type': 'application/xml' }, status),
      );

      const error = await rejectionOf(downloader().open(`${server.origin}/gone`));

      expect(error).toMatchObject({ code: 'output_unavailable', retryable: false });
      expect(error.message).toBe('Downloading an output failed');
    },
  );

  it.each([500, 503, 302])(
    'treats HTTP %i as a retryable unavailable output, without echoing the answer',
    async (status) => {
      const server = await startServer(serve('oops', {}, status));

      const error = await rejectionOf(downloader().open(`${server.origin}/flaky`));

      expect(error).toMatchObject({ code: 'output_unavailable', retryable: true });
      expect(error.message).toBe('Downloading an output failed');
    },
  );

  it('follows a redirect to an allowed host', async () => {
    const target = await startServer(serve(PNG_BYTES, { 'content-type': 'image/png' }));
    const redirector = await startServer(serve('', { location: `${target.origin}/file.png` }, 302));

    const media = await downloader().open(`${redirector.origin}/out`);

    expect((await readAll(media.content)).equals(PNG_BYTES)).toBe(true);
  });

  it('fails reading with a retryable error naming the time limit when the body stalls', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': PNG_BYTES.length + 1000 });
      res.write(PNG_BYTES);
      // The rest never comes.
    });
    const startedAt = Date.now();
    const media = await downloader({ timeoutMs: 200 }).open(`${server.origin}/slow`);

    const error = await rejectionOf(readAll(media.content));

    expect(error.code).toBe('output_unavailable');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('200 ms');
    expect(Date.now() - startedAt).toBeLessThan(3000);
  });

  it('rejects from open with the time limit when no body byte arrives in time', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.flushHeaders();
    });
    const startedAt = Date.now();

    const error = await rejectionOf(downloader({ timeoutMs: 150 }).open(`${server.origin}/slow`));

    expect(error.code).toBe('output_unavailable');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('150 ms');
    expect(Date.now() - startedAt).toBeLessThan(3000);
  });

  it('rejects from open with the time limit when the server never answers', async () => {
    const server = await startServer(() => undefined);

    const error = await rejectionOf(downloader({ timeoutMs: 150 }).open(`${server.origin}/never`));

    expect(error.code).toBe('output_unavailable');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('150 ms');
  });

  it('fails reading with a retryable error when the connection breaks mid-body', async () => {
    const server = await startServer(async (req, res) => {
      res.writeHead(200, { 'content-length': PNG_BYTES.length + 1000 });
      res.write(PNG_BYTES);
      await sleep(30);
      req.socket.destroy();
    });
    const media = await downloader().open(`${server.origin}/broken`);

    const error = await rejectionOf(readAll(media.content));

    expect(error.code).toBe('output_unavailable');
    expect(error.retryable).toBe(true);
    expect(error.message).not.toContain('2000 ms');
  });

  it('accepts every 2xx answer, 299 included', async () => {
    const server = await startServer(serve('fine', { 'content-type': 'text/plain' }, 299));

    const media = await downloader().open(`${server.origin}/odd`);

    expect((await readAll(media.content)).toString()).toBe('fine');
  });

  it('accepts a Content-Length of exactly maxBytes', async () => {
    const body = Buffer.alloc(64, 7);
    const server = await startServer(serve(body));

    const media = await downloader({ maxBytes: 64 }).open(`${server.origin}/exact`);

    expect((await readAll(media.content)).equals(body)).toBe(true);
  });

  it('returns from open once the sniffing window has arrived, without waiting for the rest of the body', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200);
      res.write(PNG_BYTES.subarray(0, 16));
    });

    const media = await downloader({ timeoutMs: 5000 }).open(`${server.origin}/slow`);

    expect(media.contentType).toBe('image/png');
    media.content.destroy();
  });

  it('stops waiting for an answer when the caller aborts (worker shutdown), before the time limit', async () => {
    const server = await startServer(() => undefined);
    const started = Date.now();

    const error = await rejectionOf(
      downloader({ timeoutMs: 5000 }).open(`${server.origin}/never`, AbortSignal.timeout(50)),
    );

    expect(Date.now() - started).toBeLessThan(2500);
    expect(error).toMatchObject({ code: 'output_unavailable', retryable: true });
    expect(error.message).toBe('Downloading an output failed: the connection broke');
  });

  describe('rule: a download that is given up releases its connection at once', () => {
    /** A server that answers with `respond` and tells when the client hung up. */
    async function watched(respond: (res: ServerResponse) => void) {
      let hungUp: () => void = () => undefined;
      const closed = new Promise<void>((resolve) => {
        hungUp = resolve;
      });
      const server = await startServer((_req, res) => {
        res.on('close', () => hungUp());
        respond(res);
      });
      const closedWithin = (ms: number) =>
        Promise.race([closed.then(() => true), sleep(ms, undefined, { ref: false }).then(() => false)]);
      return { url: `${server.origin}/watched`, closedWithin };
    }
    /** Keeps sending a body until the client hangs up. */
    const endless = (status: number, headers: Record<string, string | number> = {}) =>
      watched((res) => {
        const writing = setInterval(() => res.write(PNG_BYTES), 20);
        res.on('close', () => clearInterval(writing));
        res.writeHead(status, headers);
        res.write(PNG_BYTES);
      });
    /** Sends the first bytes of a body, then nothing more. */
    const stalling = () =>
      watched((res) => {
        res.writeHead(200);
        res.write(PNG_BYTES);
      });
    const slowDownloader = () => downloader({ timeoutMs: 5000, maxBytes: 1_000_000 });

    it('after an error status', async () => {
      const server = await endless(500);

      await rejectionOf(slowDownloader().open(server.url));

      expect(await server.closedWithin(1500)).toBe(true);
    });

    it('after a Content-Length over maxBytes', async () => {
      const server = await endless(200, { 'content-length': 5_000_000 });

      await rejectionOf(slowDownloader().open(server.url));

      expect(await server.closedWithin(1500)).toBe(true);
    });

    it('when the consumer stops reading after the first chunk', async () => {
      const server = await endless(200);
      const media = await slowDownloader().open(server.url);

      for await (const _chunk of media.content) break;

      expect(await server.closedWithin(1500)).toBe(true);
    });

    it('when the consumer destroys the stream before reading it (the output budget refused the job)', async () => {
      const server = await endless(200);
      const media = await slowDownloader().open(server.url);

      media.content.destroy();

      expect(await server.closedWithin(1500)).toBe(true);
    });

    it('when the consumer destroys the stream while a read waits on a stalled server (the save failed)', async () => {
      const server = await stalling();
      const media = await slowDownloader().open(server.url);
      const failingSave = new Writable({ write: (_chunk, _encoding, done) => done(new Error('disk full')) });

      const saved = pipeline(media.content, failingSave).then(
        () => 'saved',
        (error: Error) => error.message,
      );

      expect(await server.closedWithin(1500)).toBe(true);
      expect(await saved).toBe('disk full');
    });
  });

  it('rejects with a retryable error when nothing listens', async () => {
    const server = await startServer(() => undefined);
    const url = `${server.origin}/x`;
    await server.close();

    const error = await rejectionOf(downloader().open(url));

    expect(error.code).toBe('output_unavailable');
    expect(error.retryable).toBe(true);
  });
});

describe('OutputDownloader with data: URIs', () => {
  it('decodes a base64 PNG and types it by its bytes', async () => {
    const media = await downloader().open(`data:application/octet-stream;base64,${PNG_BYTES.toString('base64')}`);

    expect(media.contentType).toBe('image/png');
    expect(media.extension).toBe('png');
    expect((await readAll(media.content)).equals(PNG_BYTES)).toBe(true);
  });

  it('decodes a percent-encoded text URI with its declared type', async () => {
    const media = await downloader().open('data:text/plain,hello%20world');

    expect(media.contentType).toBe('text/plain');
    expect(media.extension).toBe('txt');
    expect((await readAll(media.content)).toString()).toBe('hello world');
  });

  it('reads the declared type past its parameters', async () => {
    const media = await downloader().open('data:image/svg+xml;charset=utf-8,%3Csvg%2F%3E');

    expect(media).toMatchObject({ contentType: 'image/svg+xml', extension: 'svg' });
    expect((await readAll(media.content)).toString()).toBe('<svg/>');
  });

  it('rejects a data: URI larger than maxBytes', async () => {
    const uri = `data:application/octet-stream;base64,${Buffer.alloc(100, 1).toString('base64')}`;

    const error = await rejectionOf(downloader({ maxBytes: 50 }).open(uri));

    expect(error.code).toBe('output_too_large');
    expect(error.retryable).toBe(false);
  });

  it('rejects a malformed data: URI as an unavailable output', async () => {
    const error = await rejectionOf(downloader().open('data:'));

    expect(error.code).toBe('output_unavailable');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('An output is a malformed data: URI');
  });

  it('keeps a % that starts no escape, and every other character, as it is', async () => {
    const media = await downloader().open('data:text/plain,cafe 100%25 %zz %4');

    expect((await readAll(media.content)).toString()).toBe('cafe 100% %zz %4');
  });
});

describe('OutputDownloader and the egress policy', () => {
  it.each(['ftp://files.example.test/out.png', 'file:///etc/passwd', 'not a url', 'http://user:pw@example.test/x'])(
    'refuses %s at once, not retried',
    async (url) => {
      const error = await rejectionOf(downloader().open(url));

      expect(error).toMatchObject({ code: 'output_url_refused', retryable: false });
    },
  );

  it('refuses a loopback output when loopback is not allowed, without connecting', async () => {
    const internal = await startServer(serve('secret'));

    const error = await rejectionOf(downloader({}, new DestinationPolicy([])).open(`${internal.origin}/secret`));

    expect(error).toMatchObject({ code: 'output_url_refused', retryable: false });
    expect(error.message).toBe(
      'An output URL was refused. The destination must not point at a private or special-purpose address',
    );
    expect(internal.hits).toEqual([]);
  });

  it('refuses a redirect to a host that is not allowed, without connecting to it', async () => {
    const internal = await startServer(serve('secret'));
    const port = new URL(internal.origin).port;
    const redirector = await startServer(serve('', { location: `http://[::ffff:127.0.0.1]:${port}/secret` }, 302));
    const onlyRedirector = new DestinationPolicy([`127.0.0.1:${new URL(redirector.origin).port}`]);

    const error = await rejectionOf(downloader({}, onlyRedirector).open(`${redirector.origin}/out.png`));

    expect(error).toMatchObject({ code: 'output_url_refused', retryable: false });
    expect(error.message).toContain('A redirect target must not point at');
    expect(internal.hits).toEqual([]);
  });
});
