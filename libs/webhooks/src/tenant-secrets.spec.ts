import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { tenantSecrets } from './tenant-secrets';
import { signatureHeader } from './webhook-signature';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

describe('tenantSecrets', () => {
  const server = [newSecret(), newSecret()];

  it('gives a key one secret per server secret, in the same order, each a Standard Webhooks secret', () => {
    const secrets = tenantSecrets(server, 'alice');

    expect(secrets).toHaveLength(2);
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(() => new Webhook(secret)).not.toThrow();
    }
    expect(secrets).toEqual([tenantSecrets([server[0]], 'alice')[0], tenantSecrets([server[1]], 'alice')[0]]);
  });

  it('is the same every time for a key, and differs between keys and from the server secrets', () => {
    const alice = tenantSecrets(server, 'alice');
    const bob = tenantSecrets(server, 'bob');

    expect(tenantSecrets(server, 'alice')).toEqual(alice);
    expect(new Set([...alice, ...bob, ...server]).size).toBe(6);
    expect(tenantSecrets(server, 'alic')).not.toEqual(alice);
    expect(tenantSecrets([newSecret()], 'alice')[0]).not.toBe(alice[0]);
  });

  it('signs so that only the key whose secret it is can verify', () => {
    const [alice, bob] = [tenantSecrets(server, 'alice'), tenantSecrets(server, 'bob')];
    const body = '{"type":"job.completed"}';
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(alice, 'msg_1', timestamp, body),
    };

    for (const secret of alice) expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    for (const secret of [...bob, ...server]) expect(() => new Webhook(secret).verify(body, headers)).toThrow();
  });

  it('leaves open mode (no key name) with the server secrets themselves', () => {
    expect(tenantSecrets(server, '')).toEqual(server);
  });

  it('gives no secrets when the server has none (webhooks off)', () => {
    expect(tenantSecrets([], 'alice')).toEqual([]);
  });

  it('rule: derived secrets never change between releases (a change would break every receiver)', () => {
    // A fixed vector: the purpose string, the separator and the key decoding all go into it.
    expect(tenantSecrets(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'alice')).toEqual([
      'whsec_K7sxtDrQIYrigxr+fBcGYAjFj3mIFXPP3HsCb/m8V2A=',
    ]);
  });
});
