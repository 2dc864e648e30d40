import { type WebhooksConfig, webhooksConfig } from '@app/config';
import { DestinationPolicy, guardedRequest } from '@app/egress';
import { Inject, Injectable } from '@nestjs/common';

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The most of a receiver's answer that is read; the rest is dropped. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs one webhook and resolves with the receiver's status code. Follows no redirects, connects
 * only where the egress policy allows (else rejects with DestinationRefusedError), reads at most
 * 64 KiB of the answer, and gives up after WEBHOOK_TIMEOUT_MS for the whole exchange.
 */
@Injectable()
export class WebhookSender {
  constructor(
    private readonly policy: DestinationPolicy,
    @Inject(webhooksConfig.KEY) private readonly config: WebhooksConfig,
  ) {}

  async send(webhook: WebhookRequest): Promise<number> {
    const response = await guardedRequest(this.policy, webhook.url, {
      method: 'POST',
      headers: webhook.headers,
      body: webhook.body,
      signal: AbortSignal.timeout(this.config.timeoutMs),
      allowHttp: this.config.allowHttp,
      maxRedirects: 0,
    });
    return new Promise((resolve) => {
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_RESPONSE_BYTES) response.destroy();
      });
      response.on('close', () => resolve(response.statusCode ?? 0));
      response.on('error', () => resolve(response.statusCode ?? 0));
    });
  }
}
