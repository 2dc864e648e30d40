import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';
import { renderMockImage } from './mock-image';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('renderMockImage', () => {
  it('gives the same bytes as the pngjs encoder did (same pixels, same deflate settings)', async () => {
    // Digests of pngjs 7's output (filter 0) for these requests, before the encoder moved off the event loop.
    expect(sha256(await renderMockImage('x', 3, 16, 16))).toBe(
      '20c21c76c7eb8f04d09c15e94efc63e0852e17c8b1f773004dd5cd43c55e033f',
    );
    expect(sha256(await renderMockImage('wide', 7, 100, 37))).toBe(
      '19bb6cb8d9dadfcf517ca18690a64d8a3c2b14c2e97512496066b9a61cfde1bf',
    );
  });

  it('makes a valid, opaque RGBA PNG of the asked size', async () => {
    const image = PNG.sync.read(await renderMockImage('a red fox', 0, 48, 20));

    expect([image.width, image.height]).toEqual([48, 20]);
    for (let alpha = 3; alpha < image.data.length; alpha += 4) expect(image.data[alpha]).toBe(255);
  });

  it('differs by prompt and seed, and repeats itself for the same request', async () => {
    const [first, again, otherSeed, otherPrompt] = await Promise.all([
      renderMockImage('cat', 1, 32, 32),
      renderMockImage('cat', 1, 32, 32),
      renderMockImage('cat', 2, 32, 32),
      renderMockImage('dog', 1, 32, 32),
    ]);

    expect(again.equals(first)).toBe(true);
    expect(otherSeed.equals(first)).toBe(false);
    expect(otherPrompt.equals(first)).toBe(false);
  });
});
