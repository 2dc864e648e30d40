import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';

type Rgb = [number, number, number];

interface Disc {
  x: number;
  y: number;
  radius: number;
  color: Rgb;
}

const DISCS = 6;

/**
 * Renders a PNG that depends only on (prompt, seed, size): a two-colour gradient with a few
 * translucent discs, all derived from a SHA-256 of the prompt and seed, so different prompts
 * give visibly different pictures and the same request always gives the same bytes.
 */
export function renderMockImage(prompt: string, seed: number, width: number, height: number): Buffer {
  const digest = createHash('sha256').update(`${seed}\u0000${prompt}`).digest();
  const from = colorAt(digest, 0);
  const to = colorAt(digest, 3);
  const size = Math.min(width, height);
  const discs: Disc[] = Array.from({ length: DISCS }, (_, index) => {
    const offset = 6 + index * 4;
    return {
      x: (digest[offset] / 255) * width,
      y: (digest[offset + 1] / 255) * height,
      radius: (0.08 + (digest[offset + 2] / 255) * 0.22) * size,
      color: colorAt(digest, (offset + 3) % 30),
    };
  });

  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = (x / width + y / height) / 2;
      let pixel = mix(from, to, t);
      for (const disc of discs) {
        const dx = x - disc.x;
        const dy = y - disc.y;
        if (dx * dx + dy * dy <= disc.radius * disc.radius) pixel = mix(pixel, disc.color, 0.6);
      }
      const index = (y * width + x) * 4;
      png.data[index] = pixel[0];
      png.data[index + 1] = pixel[1];
      png.data[index + 2] = pixel[2];
      png.data[index + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

function colorAt(bytes: Uint8Array, offset: number): Rgb {
  return [bytes[offset], bytes[offset + 1], bytes[offset + 2]];
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [
    Math.round(a[0] + (b[0] - a[0]) * t),
    Math.round(a[1] + (b[1] - a[1]) * t),
    Math.round(a[2] + (b[2] - a[2]) * t),
  ];
}
