import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';
import { renderMockImage } from './mock-image';

const renderPng = async (...request: Parameters<typeof renderMockImage>) =>
  Buffer.concat(await renderMockImage(...request));

describe('renderMockImage', () => {
  // Pixel digests (not PNG bytes, which depend on the zlib build): recorded once from this renderer.
  it.each([
    ['a lighthouse at dusk', 7, 40, 24, 'edf57af0e1678455158f44736a70ac025b0f5c6488ff4323f80c6c555eb32386'],
    ['a cat', 0, 16, 64, '58cc0a05258859be8aecd209b0e6e86e6a8853a567132366f3e946d8958a66f4'],
    ['x', 4294967295, 33, 33, 'a4f8c15c5519e7cabb8601ef53a750b15d3d0381eec030a17887ecfe1ad674e0'],
    ['a harbour in fog', 11, 300, 300, 'c5a444a3656537de7c8c1518da59bb30dd4681aef6ab0cf809444a4b9ce9459a'],
  ])(
    'rule: the same request gives the same picture in every release (%j, seed %i, %ix%i)',
    async (prompt, seed, width, height, pixels) => {
      const png = PNG.sync.read(await renderPng(prompt, seed, width, height));

      expect([png.width, png.height]).toEqual([width, height]);
      expect(createHash('sha256').update(png.data).digest('hex')).toBe(pixels);
    },
  );

  it('hands an image out as one buffer (one write)', async () => {
    expect(await renderMockImage('a cat', 0, 300, 300)).toHaveLength(1);
  });

  it('makes a valid, opaque RGBA PNG of the asked size', async () => {
    const image = PNG.sync.read(await renderPng('a red fox', 0, 48, 20));

    expect([image.width, image.height]).toEqual([48, 20]);
    for (let alpha = 3; alpha < image.data.length; alpha += 4) expect(image.data[alpha]).toBe(255);
  });

  it('renders the same bytes whatever it rendered before (row buffers are reused between images of a size)', async () => {
    // 2×9 and 20×1 take 81 bytes of rows each, their rows' filter bytes at different places.
    const first = await renderPng('a kite', 3, 2, 9);
    await renderPng('a wide kite', 5, 20, 1);
    const again = await renderPng('a kite', 3, 2, 9);

    expect(again.equals(first)).toBe(true);
    expect(PNG.sync.read(again).width).toBe(2);
  });

  it('differs by prompt and seed, and repeats itself for the same request', async () => {
    const [first, again, otherSeed, otherPrompt] = await Promise.all([
      renderPng('cat', 1, 32, 32),
      renderPng('cat', 1, 32, 32),
      renderPng('cat', 2, 32, 32),
      renderPng('dog', 1, 32, 32),
    ]);

    expect(again.equals(first)).toBe(true);
    expect(otherSeed.equals(first)).toBe(false);
    expect(otherPrompt.equals(first)).toBe(false);
  });
});
