import { randomBytes } from 'node:crypto';
import { MediaCapabilities } from './media-capabilities';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const JOB = '9b2f9a43-3c3e-4f3a-9d51-0c8f0f3f6b7e';
const OTHER_JOB = '0d0c8a57-6a38-4a44-9e0c-1f6e3a1f2b3c';
/** The token of file 0.png of JOB under the pinned secret below, computed once (HMAC-SHA256, two steps). */
const KNOWN_TOKEN = 'hix1b-uN0dPAdEAAJRZEteEQJHfLuy1GRZhAD-Syt50';

describe('MediaCapabilities', () => {
  const [oldSecret, newestSecret] = [newSecret(), newSecret()];
  const capabilities = new MediaCapabilities({ secrets: [oldSecret, newestSecret] });

  it('grants exactly the file of the job it was made for', () => {
    const token = capabilities.token(JOB, '0.png') as string;

    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(capabilities.grants(JOB, '0.png', token)).toBe(true);
    expect(capabilities.grants(JOB, '1.png', token)).toBe(false);
    expect(capabilities.grants(OTHER_JOB, '0.png', token)).toBe(false);
  });

  it('keeps the token of a given secret, job and file across releases (URLs already handed out stay valid)', () => {
    // A fixed vector: the purpose string and the server key (the secret without whsec_) are part of every URL given out.
    const pinned = new MediaCapabilities({ secrets: ['whsec_c2VjcmV0LWZvci1hLWtub3duLWFuc3dlcg=='] });

    expect(pinned.token(JOB, '0.png')).toBe(KNOWN_TOKEN);
  });

  it('is stable across instances with the same secrets (replicas, restarts)', () => {
    const again = new MediaCapabilities({ secrets: [oldSecret, newestSecret] });

    expect(again.token(JOB, '0.png')).toBe(capabilities.token(JOB, '0.png'));
  });

  it('signs with the newest secret and still honours tokens of the older one', () => {
    const before = new MediaCapabilities({ secrets: [oldSecret] }).token(JOB, '0.png') as string;
    const after = new MediaCapabilities({ secrets: [newestSecret] });

    expect(capabilities.token(JOB, '0.png')).toBe(after.token(JOB, '0.png'));
    expect(capabilities.grants(JOB, '0.png', before)).toBe(true);
    expect(after.grants(JOB, '0.png', before)).toBe(false);
  });

  it('refuses a token changed in one character, cut short, or empty', () => {
    const token = capabilities.token(JOB, '0.png') as string;
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;

    expect(capabilities.grants(JOB, '0.png', flipped)).toBe(false);
    expect(capabilities.grants(JOB, '0.png', token.slice(0, -1))).toBe(false);
    expect(capabilities.grants(JOB, '0.png', '')).toBe(false);
  });

  it('makes no tokens and grants nothing without server secrets', () => {
    const none = new MediaCapabilities({ secrets: [] });

    expect(none.token(JOB, '0.png')).toBeNull();
    expect(none.grants(JOB, '0.png', capabilities.token(JOB, '0.png') as string)).toBe(false);
  });
});
