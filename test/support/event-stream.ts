import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Job, JobsClient } from './jobs-client';

export interface StreamEvent {
  event: string;
  id: string | undefined;
  data: unknown;
  /** When it arrived (ms since the stream was opened). */
  at: number;
}

export interface EventStream {
  status: number;
  headers: Headers;
  /** Every event so far, in order. */
  events: StreamEvent[];
  /** Comments (keep-alives) seen so far. */
  comments: string[];
  /** Settles when the server ends the stream. */
  ended: Promise<void>;
}

/**
 * Opens `GET /v1/jobs/{id}/events` through the generated client and parses the stream as it
 * arrives, like an EventSource would. An error answer has no events and has ended.
 */
export async function openEventStream(
  client: JobsClient,
  jobId: string,
  headers: Record<string, string> = {},
): Promise<EventStream> {
  const opened = Date.now();
  const { data, response } = await client.api.GET('/v1/jobs/{id}/events', {
    params: { path: { id: jobId } },
    headers: { accept: 'text/event-stream', ...headers },
    parseAs: 'stream',
  });
  const events: StreamEvent[] = [];
  const comments: string[] = [];
  const parser = createParser({
    onEvent: (message: EventSourceMessage) =>
      events.push({
        event: message.event ?? 'message',
        id: message.id,
        data: JSON.parse(message.data),
        at: Date.now() - opened,
      }),
    onComment: (comment) => comments.push(comment.trim()),
  });
  const reader = response.ok ? (data as ReadableStream<Uint8Array> | undefined)?.getReader() : undefined;
  const ended = (async () => {
    if (!reader) return;
    const decoder = new TextDecoder();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      parser.feed(decoder.decode(chunk.value, { stream: true }));
    }
  })();
  return { status: response.status, headers: response.headers, events, comments, ended };
}

/** The job carried by a `status` or `done` event. */
export function jobOf(event: StreamEvent): Job {
  return event.data as Job;
}
