import type { OutgoingHttpHeaders } from 'node:http';
import type { JobStreamEvent, JobStreamSink } from '@app/jobs';
import type { FastifyReply } from 'fastify';

/**
 * Serves a job's event stream as Server-Sent Events on the raw response. `open` runs first, so a
 * refusal (404) is still an ordinary problem answer; the stream's headers go out with its first
 * write. When the client goes away the stream is closed (timers, subscription, wait slot).
 * Keep-alives and intermediate states are skipped while the client is not reading; the final
 * event always goes out.
 */
export async function serveEventStream(
  reply: FastifyReply,
  open: (sink: JobStreamSink) => Promise<() => void>,
): Promise<void> {
  const raw = reply.raw;
  let gone = false;
  let close: (() => void) | undefined;
  raw.once('close', () => {
    gone = true;
    close?.();
    // The client left (or half-closed) mid-stream: let go of the connection, or it would hold shutdowns up.
    if (!raw.writableEnded) raw.destroy();
  });

  const start = () => {
    if (raw.headersSent) return;
    reply.hijack();
    raw.writeHead(200, {
      ...(reply.getHeaders() as OutgoingHttpHeaders),
      'x-request-id': reply.request.id,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // Proxies (nginx) would otherwise hold events back in their buffers.
      'x-accel-buffering': 'no',
    });
  };
  const writable = () => !gone && !raw.writableEnded;
  const sink: JobStreamSink = {
    send(event: JobStreamEvent): boolean {
      if (!writable()) return false;
      start();
      if (raw.writableNeedDrain && event.event !== 'done') return false;
      raw.write(`id: ${event.id}\nevent: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`);
      return true;
    },
    keepAlive(): void {
      if (!writable() || raw.writableNeedDrain) return;
      start();
      raw.write(': keep-alive\n\n');
    },
    end(retryMs?: number): void {
      if (!writable()) return;
      start();
      raw.end(retryMs === undefined ? undefined : `retry: ${retryMs}\n\n`);
    },
  };
  close = await open(sink);
  if (gone) close();
}
