import { createHash, randomBytes } from 'node:crypto';

/**
 * A new random API key for client `name` and the exact `API_KEYS` entry the server needs for it
 * (`name:<sha256 hex of the key>`). The key itself is shown once and stored nowhere.
 */
export function newApiKey(name = 'client'): { key: string; sha256: string; entry: string } {
  const key = `mgk_${randomBytes(32).toString('base64url')}`;
  const sha256 = createHash('sha256').update(key).digest('hex');
  return { key, sha256, entry: `${name}:${sha256}` };
}
