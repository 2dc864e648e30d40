import { randomBytes } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { signatureHeader } from './webhook-signature';

/** A Standard Webhooks secret as WEBHOOK_SECRETS holds it. */
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

describe('signatureHeader', () => {
  const id = 'msg_6f1d2c1e-8b1a-4c2e-9f0e-3b8a1d2c4e5f';
  const body = JSON.stringify({
    type: 'job.completed',
    timestamp: '2026-01-01T00:00:00.000Z',
    data: { id: 'x', prompt: 'ünïcödé ✓' },
  });
  const now = () => Math.floor(Date.now() / 1000);

  const headers = (signature: string, timestamp: number, messageId = id) => ({
    'webhook-id': messageId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
  });

  it('signs so that the standardwebhooks library verifies it', () => {
    const secret = newSecret();
    const timestamp = now();

    const signature = signatureHeader([secret], id, timestamp, body);

    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
    expect(new Webhook(secret).verify(body, headers(signature, timestamp))).toEqual(JSON.parse(body));
  });

  it('matches what the standardwebhooks library signs', () => {
    const secret = newSecret();
    const timestamp = now();

    expect(signatureHeader([secret], id, timestamp, body)).toBe(
      new Webhook(secret).sign(id, new Date(timestamp * 1000), body),
    );
  });

  it('signs with every secret, so either one alone verifies (rotation)', () => {
    const [oldSecret, newOne] = [newSecret(), newSecret()];
    const timestamp = now();

    const signature = signatureHeader([oldSecret, newOne], id, timestamp, body);
    const parts = signature.split(' ');

    expect(parts).toHaveLength(2);
    for (const part of parts) expect(part).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
    expect(parts[0]).not.toBe(parts[1]);
    expect(new Webhook(oldSecret).verify(body, headers(signature, timestamp))).toEqual(JSON.parse(body));
    expect(new Webhook(newOne).verify(body, headers(signature, timestamp))).toEqual(JSON.parse(body));
    expect(() => new Webhook(newSecret()).verify(body, headers(signature, timestamp))).toThrow(
      WebhookVerificationError,
    );
  });

  it('fails verification when the body, id or timestamp changed', () => {
    const secret = newSecret();
    const timestamp = now();
    const signature = signatureHeader([secret], id, timestamp, body);
    const receiver = new Webhook(secret);

    expect(() => receiver.verify(body.replace('ünïcödé', 'unicode'), headers(signature, timestamp))).toThrow(
      WebhookVerificationError,
    );
    expect(() => receiver.verify(`${body} `, headers(signature, timestamp))).toThrow(WebhookVerificationError);
    expect(() => receiver.verify(body, headers(signature, timestamp, 'msg_other'))).toThrow(WebhookVerificationError);
    expect(() => receiver.verify(body, headers(signature, timestamp - 1))).toThrow(WebhookVerificationError);
  });

  it('uses the key the secret encodes, with or without the whsec_ prefix', () => {
    const secret = newSecret();
    const timestamp = now();

    expect(signatureHeader([secret.slice('whsec_'.length)], id, timestamp, body)).toBe(
      signatureHeader([secret], id, timestamp, body),
    );
  });
});
