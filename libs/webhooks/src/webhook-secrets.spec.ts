import { tenantSecrets } from './tenant-secrets';
import { webhooksConfigFor } from './testing/webhook-fakes';
import { SharedSecretNotServedError, WebhookSecrets, WebhooksDisabledError } from './webhook-secrets';

const OLD = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NEW = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
const secretsWith = (secrets: string[]) => new WebhookSecrets(webhooksConfigFor({ secrets }));

function thrownBy(act: () => unknown): Error | undefined {
  try {
    act();
  } catch (thrown) {
    return thrown as Error;
  }
}

describe('WebhookSecrets', () => {
  it('rule: deliveries of an owner’s jobs are signed with that owner’s derived secrets', () => {
    expect(secretsWith([OLD, NEW]).signingSecrets('alice')).toEqual(tenantSecrets([OLD, NEW], 'alice'));
  });

  it('rule: a tenant reads its own secrets, the newest one as the one to verify with', () => {
    const alice = tenantSecrets([OLD, NEW], 'alice');

    expect(secretsWith([OLD, NEW]).readableBy('alice')).toEqual({ secret: alice[1], secrets: alice });
  });

  it('rule: nothing is served while webhooks are off', () => {
    const error = thrownBy(() => secretsWith([]).readableBy('alice'));

    expect(error).toBeInstanceOf(WebhooksDisabledError);
    expect(error).toMatchObject({
      code: 'webhooks_disabled',
      name: 'WebhooksDisabledError',
      message: 'Webhooks are not enabled on this server (WEBHOOK_SECRETS is unset)',
    });
  });

  it('rule: in open mode (no API keys) the server secrets themselves are never served', () => {
    const error = thrownBy(() => secretsWith([OLD]).readableBy(''));

    expect(error).toBeInstanceOf(SharedSecretNotServedError);
    expect(error).toMatchObject({
      code: 'webhook_secret_not_served',
      name: 'SharedSecretNotServedError',
      message: expect.stringContaining('signed with WEBHOOK_SECRETS itself'),
    });
  });
});
