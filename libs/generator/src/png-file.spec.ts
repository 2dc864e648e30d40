import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { pngFile } from './png-file';

/** RGBA rows with filter byte 0 (none) before each, as PNG stores them unfiltered. */
function unfilteredRows(pixels: Buffer, width: number, height: number): Buffer {
  const stride = width * 4;
  return Buffer.concat(
    Array.from({ length: height }, (_, y) => [Buffer.from([0]), pixels.subarray(y * stride, (y + 1) * stride)]).flat(),
  );
}

/** `data` cut into pieces of `size` bytes, as zlib hands its output out. */
function piecesOf(data: Buffer, size: number): Buffer[] {
  return Array.from({ length: Math.ceil(data.length / size) }, (_, index) =>
    data.subarray(index * size, (index + 1) * size),
  );
}

describe('pngFile', () => {
  it.each([
    ['small: one buffer', 8, 6],
    // Random pixels do not compress: 130×130 is more than 64 KB of compressed rows.
    ['large: its parts', 130, 130],
  ])('makes a valid PNG of the pixels (%s)', (_size, width, height) => {
    const pixels = randomBytes(width * height * 4);
    const parts = pngFile(width, height, piecesOf(deflateSync(unfilteredRows(pixels, width, height)), 40_000));

    const image = PNG.sync.read(Buffer.concat(parts));
    expect([image.width, image.height]).toEqual([width, height]);
    expect(image.data.equals(pixels)).toBe(true);
  });

  it('hands large compressed rows out uncopied, between the bytes before and after them', () => {
    // More than 64 KB: random bytes do not compress.
    const compressed = piecesOf(deflateSync(randomBytes(70_000)), 40_000);

    const parts = pngFile(32, 130, compressed);

    expect(parts).toHaveLength(compressed.length + 2);
    expect(parts.slice(1, -1).every((part, index) => part === compressed[index])).toBe(true);
  });

  it('is one buffer up to 64 KB of compressed rows, parts above', () => {
    const compressedOf = (bytes: number) => piecesOf(Buffer.alloc(bytes), 40_000);

    expect(pngFile(1, 1, compressedOf(64 * 1024))).toHaveLength(1);
    expect(pngFile(1, 1, compressedOf(64 * 1024 + 1))).toHaveLength(4);
  });
});
