import { decodeCursor, encodeCursor } from './job-cursor';
import { InvalidCursorError } from './jobs.errors';

const ID = '9b2f9a43-3c3e-4f3a-9d51-0c8f0f3f6b7e';
const raw = (text: string) => Buffer.from(text).toString('base64url');

describe('job cursors', () => {
  it('round-trips the last job of a page', () => {
    const job = { createdAt: new Date('2026-11-30T10:00:00.123Z'), id: ID };
    expect(decodeCursor(encodeCursor(job))).toEqual(job);
  });

  it.each([
    ['an unparsable date', `yesterday|${ID}`],
    ['a date before year 1', `-010000-01-01T00:00:00.000Z|${ID}`],
    ['a date after year 9999', `+200000-01-01T00:00:00.000Z|${ID}`],
    ['a missing id', '2026-11-30T10:00:00.000Z'],
    ['an id that is not a UUID', '2026-11-30T10:00:00.000Z|42'],
    ['a UUID with something before it', `2026-11-30T10:00:00.000Z|x${ID}`],
    ['a UUID with something after it', `2026-11-30T10:00:00.000Z|${ID}x`],
  ])('refuses %s', (_case, text) => {
    expect(() => decodeCursor(raw(text))).toThrow(InvalidCursorError);
  });
});
