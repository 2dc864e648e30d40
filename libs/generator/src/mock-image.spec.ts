import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';
import { renderMockImage } from './mock-image';

describe('renderMockImage', () => {
  // Pixel digests (not PNG bytes, which depend on the zlib build): recorded once from this renderer.
  it.each([
    ['a lighthouse at dusk', 7, 40, 24, 'edf57af0e1678455158f44736a70ac025b0f5c6488ff4323f80c6c555eb32386'],
    ['a cat', 0, 16, 64, '58cc0a05258859be8aecd209b0e6e86e6a8853a567132366f3e946d8958a66f4'],
    ['x', 4294967295, 33, 33, 'a4f8c15c5519e7cabb8601ef53a750b15d3d0381eec030a17887ecfe1ad674e0'],
  ])(
    'rule: the same request gives the same picture in every release (%j, seed %i, %ix%i)',
    (prompt, seed, width, height, pixels) => {
      const png = PNG.sync.read(renderMockImage(prompt, seed, width, height));

      expect([png.width, png.height]).toEqual([width, height]);
      expect(createHash('sha256').update(png.data).digest('hex')).toBe(pixels);
    },
  );
});
