import { type WebhooksConfig, webhooksConfig } from '@app/config';
import { Inject, Injectable } from '@nestjs/common';
import { tenantSecrets } from './tenant-secrets';

/** WEBHOOK_SECRETS is unset: nothing is signed, so there is no secret to give. */
export class WebhooksDisabledError extends Error {
  readonly code = 'webhooks_disabled';
  constructor() {
    super('Webhooks are not enabled on this server (WEBHOOK_SECRETS is unset)');
    this.name = 'WebhooksDisabledError';
  }
}

/** Open mode signs with the server secrets themselves, which are never served over HTTP. */
export class SharedSecretNotServedError extends Error {
  readonly code = 'webhook_secret_not_served';
  constructor() {
    super(
      'Without API keys deliveries are signed with WEBHOOK_SECRETS itself; ask the operator, it is not served over the API',
    );
    this.name = 'SharedSecretNotServedError';
  }
}

export interface ReadableSecrets {
  /** The secret to verify with: the one derived from the newest (last) server secret. */
  secret: string;
  /** Every secret deliveries are signed with now, oldest first; more than one during a rotation. */
  secrets: string[];
}

/** The signing secrets of each tenant: for its deliveries, and for the tenant itself to read. */
@Injectable()
export class WebhookSecrets {
  constructor(@Inject(webhooksConfig.KEY) private readonly config: WebhooksConfig) {}

  /** What deliveries of `owner`'s jobs are signed with ('' in open mode). */
  signingSecrets(owner: string): string[] {
    return tenantSecrets(this.config.secrets, owner);
  }

  /** The secrets `owner` may read about itself: its own, and only with API keys on. */
  readableBy(owner: string): ReadableSecrets {
    if (this.config.secrets.length === 0) throw new WebhooksDisabledError();
    if (owner === '') throw new SharedSecretNotServedError();
    const secrets = this.signingSecrets(owner);
    return { secret: secrets[secrets.length - 1], secrets };
  }
}
