import { createHash } from 'node:crypto';
import { fingerprint } from './request-fingerprint';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const base = { prompt: 'a cat', model: 'owner/model', input: {} };

describe('request fingerprints (telling a replay from a different request under one idempotency key)', () => {
  it('digest the canonical JSON of prompt, model, input and webhook', () => {
    const request = { ...base, input: { b: [1, 'x', null, true], a: { d: 2, c: 1 } } };

    expect(fingerprint(request)).toBe(
      sha256(
        '{"input":{"a":{"c":1,"d":2},"b":[1,"x",null,true]},"model":"owner/model","prompt":"a cat","webhook":null}',
      ),
    );
  });

  it('do not depend on the order of keys in the JSON', () => {
    const one = fingerprint({ ...base, input: { a: 1, b: 2, c: { x: 1, y: 2 } } });
    const two = fingerprint({ ...base, input: { c: { y: 2, x: 1 }, b: 2, a: 1 } });

    expect(one).toBe(two);
  });

  it('ignore fields set to undefined, and read a missing webhook as none', () => {
    expect(fingerprint({ ...base, input: { a: 1, b: undefined } })).toBe(fingerprint({ ...base, input: { a: 1 } }));
    expect(fingerprint({ ...base, webhook: undefined })).toBe(fingerprint({ ...base, webhook: null }));
  });

  it.each([
    ['prompt', { prompt: 'a dog' }],
    ['model', { model: 'owner/other' }],
    ['input', { input: { seed: 1 } }],
    ['webhook', { webhook: { url: 'https://hooks.example/', events: ['completed'] } }],
    ['order of an array', { input: { list: [2, 1] } }],
  ])('differ when the %s differs', (_field, change) => {
    const original = fingerprint({ ...base, input: { list: [1, 2] } });

    expect(fingerprint({ ...base, input: { list: [1, 2] }, ...change })).not.toBe(original);
  });
});
