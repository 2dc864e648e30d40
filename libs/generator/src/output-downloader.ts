import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { type DestinationPolicy, DestinationRefusedError, guardedRequest } from '@app/egress';
import { GenerationError } from './generation.error';
import type { GeneratedMedia } from './media-generator';
import { resolveMediaType, SNIFF_BYTES } from './media-type';

export interface OutputDownloadSettings {
  timeoutMs: number;
  maxBytes: number;
}

/** Redirects of an output URL followed, each target checked by the egress policy again. */
const MAX_REDIRECTS = 3;

// Stryker disable next-line Regex: open() only passes strings starting with `data:`, and `(.*)` with the s flag always reaches the end.
const DATA_URI = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/is;

/**
 * Opens a model output (an http(s) URL or a data: URI) as a stream for the storage port: the
 * media type checked against the bytes, the size capped while it streams, the whole download
 * bounded in time. Upstream files are deleted after an hour, so this runs as soon as they exist.
 * Anyone can publish a model, so its output URLs are untrusted: they are fetched only where the
 * egress policy allows, redirects included.
 */
export class OutputDownloader {
  constructor(
    private readonly settings: OutputDownloadSettings,
    private readonly policy: DestinationPolicy,
  ) {}

  /** `abort` stops the download early (worker shutdown); the time limit applies regardless. */
  async open(url: string, abort?: AbortSignal): Promise<GeneratedMedia> {
    return url.startsWith('data:') ? this.openDataUri(url) : this.openRemote(url, abort);
  }

  private openDataUri(uri: string): GeneratedMedia {
    const match = DATA_URI.exec(uri);
    if (!match)
      throw new GenerationError('output_unavailable', 'An output is a malformed data: URI', { retryable: false });
    const [, declared, parameters, payload] = match;
    const body = parameters.toLowerCase().split(';').includes('base64')
      ? Buffer.from(payload, 'base64')
      : percentDecode(payload);
    this.checkSize(body.length);
    const type = resolveMediaType(body.subarray(0, SNIFF_BYTES), declared || null);
    return { ...type, content: Readable.from([body]) };
  }

  private async openRemote(url: string, abort?: AbortSignal): Promise<GeneratedMedia> {
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    const signal = abort ? AbortSignal.any([abort, timeout]) : timeout;
    let response: IncomingMessage;
    try {
      response = await guardedRequest(this.policy, url, {
        method: 'GET',
        signal,
        allowHttp: true,
        maxRedirects: MAX_REDIRECTS,
      });
    } catch (error) {
      if (error instanceof DestinationRefusedError) {
        throw new GenerationError('output_url_refused', `An output URL was refused. ${error.message}`, {
          retryable: false,
        });
      }
      throw this.transferError(error, timeout);
    }
    const status = response.statusCode ?? 0;
    // Stryker disable next-line ConditionalExpression: node's http client never ends a request with a 1xx status, so `status < 200` cannot decide alone.
    if (status < 200 || status > 299) {
      response.destroy();
      // What the server answered stays out of the message: the URL is the model's choice.
      const gone = status === 404 || status === 410 || status === 403;
      throw new GenerationError('output_unavailable', 'Downloading an output failed', { retryable: !gone });
    }
    const declaredLength = Number(response.headers['content-length']);
    if (declaredLength > this.settings.maxBytes) {
      response.destroy();
      this.checkSize(declaredLength);
    }

    const chunks = response[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const head: Buffer[] = [];
    let headBytes = 0;
    try {
      while (headBytes < SNIFF_BYTES) {
        const next = await chunks.next();
        if (next.done) break;
        head.push(next.value);
        headBytes += next.value.length;
      }
    } catch (error) {
      // Stryker disable next-line OptionalChaining: an IncomingMessage's async iterator always has return().
      await chunks.return?.();
      throw this.transferError(error, timeout);
    }
    const type = resolveMediaType(
      Buffer.concat(head).subarray(0, SNIFF_BYTES),
      response.headers['content-type'] ?? null,
    );
    return { ...type, content: hangingUpOnDestroy(response, this.capped(head, chunks, timeout)) };
  }

  private async *capped(head: Buffer[], rest: AsyncIterator<Buffer>, timeout: AbortSignal): AsyncGenerator<Buffer> {
    let total = 0;
    try {
      for (const chunk of head) {
        total += chunk.length;
        this.checkSize(total);
        yield chunk;
      }
      for (let next = await rest.next(); !next.done; next = await rest.next()) {
        total += next.value.length;
        this.checkSize(total);
        yield next.value;
      }
    } catch (error) {
      throw this.transferError(error, timeout);
    }
  }

  private checkSize(bytes: number): void {
    if (bytes > this.settings.maxBytes) {
      throw new GenerationError(
        'output_too_large',
        `An output is larger than the ${this.settings.maxBytes}-byte limit`,
        {
          retryable: false,
        },
      );
    }
  }

  private transferError(error: unknown, timeout: AbortSignal): GenerationError {
    if (error instanceof GenerationError) return error;
    const message = timeout.aborted
      ? `Downloading an output took longer than ${this.settings.timeoutMs} ms`
      : 'Downloading an output failed: the connection broke';
    return new GenerationError('output_unavailable', message, { retryable: true, cause: error });
  }
}

/**
 * The body for the consumer, which may give up at any moment (a failed save, a refused budget):
 * destroying it hangs up at once. Readable.from would instead close `chunks` only when a pending
 * read settles, or not at all before the first read, so the connection stayed open until the
 * time limit.
 */
function hangingUpOnDestroy(response: IncomingMessage, chunks: AsyncGenerator<Buffer>): Readable {
  return new Readable({
    read() {
      chunks.next().then(
        (next) => this.push(next.done ? null : next.value),
        (error: Error) => this.destroy(error),
      );
    },
    destroy(error, done) {
      response.destroy();
      done(error);
    },
  });
}

/** Percent-decodes a non-base64 data: URI payload byte for byte (it may hold binary data). */
function percentDecode(payload: string): Buffer {
  const bytes: number[] = [];
  for (let index = 0; index < payload.length; index++) {
    const hex = payload.slice(index + 1, index + 3);
    // Stryker disable next-line Regex: `hex` is at most two characters, so either anchor alone pins the match.
    if (payload[index] === '%' && /^[\da-f]{2}$/i.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else {
      bytes.push(...Buffer.from(payload[index]));
    }
  }
  return Buffer.from(bytes);
}
