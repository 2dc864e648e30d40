import { createHmac } from 'node:crypto';

const PREFIX = 'whsec_';
/** Names what the derived key is for, so the same server secret never yields it for another use. */
const PURPOSE = 'mediagen webhook signing secret v1';

/**
 * The one place where the signing secrets of a tenant (an API key's name, the job owner) are
 * decided. Each server secret in WEBHOOK_SECRETS yields one secret per key name, derived with
 * HMAC-SHA256(server secret, purpose + name): stable across restarts and replicas, nothing to
 * store, rotated together with the server secrets, and one tenant's secret says nothing about
 * another's or about the server secret. In open mode the owner is '' and the server secrets
 * themselves sign, as they always did.
 */
export function tenantSecrets(serverSecrets: readonly string[], owner: string): string[] {
  if (owner === '') return [...serverSecrets];
  return serverSecrets.map((secret) => {
    // Stryker disable next-line Regex: base64 has no '_', so whsec_ can only ever appear as the prefix
    const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
    return PREFIX + createHmac('sha256', key).update(`${PURPOSE}\0${owner}`).digest('base64');
  });
}
