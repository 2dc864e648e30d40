import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type DestinationPolicy, publicOnlyLookup, refuseDestination } from './destination-policy';

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface SendSettings extends DestinationPolicy {
  timeoutMs: number;
}

/** The most of a receiver's answer that is read; the rest is dropped. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** A delivery the destination policy forbids: retrying cannot help. */
export class DestinationRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DestinationRefusedError';
  }
}

/**
 * POSTs one webhook and resolves with the receiver's status code. Follows no redirects, connects
 * only to addresses the policy allows, reads at most 64 KiB of the answer, and gives up after
 * `timeoutMs` for the whole exchange.
 */
export function sendWebhook(webhook: WebhookRequest, settings: SendSettings): Promise<number> {
  // Checked again here: the policy may have tightened since submit, and for an IP address in the
  // URL no DNS lookup happens, so the lookup guard below would not see it.
  const refusal = refuseDestination(webhook.url, settings);
  if (refusal) return Promise.reject(new DestinationRefusedError(refusal));
  const url = new URL(webhook.url);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        headers: { ...webhook.headers, 'content-length': Buffer.byteLength(webhook.body) },
        lookup: publicOnlyLookup(settings),
        signal: AbortSignal.timeout(settings.timeoutMs),
      },
      (response) => {
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) response.destroy();
        });
        response.on('close', () => resolve(response.statusCode ?? 0));
        response.on('error', () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EDESTINATION' ? new DestinationRefusedError(error.message) : error);
    });
    outgoing.end(webhook.body);
  });
}
