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
  const pixels = png.data;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      paint(pixels, (y * width + x) * 4, mix(from, to, (x / width + y / height) / 2));
    }
  }
  for (const disc of discs) {
    // Only the disc's bounding box can change, so only it is visited.
    const top = Math.max(0, Math.floor(disc.y - disc.radius));
    const bottom = Math.min(height - 1, Math.ceil(disc.y + disc.radius));
    const left = Math.max(0, Math.floor(disc.x - disc.radius));
    const right = Math.min(width - 1, Math.ceil(disc.x + disc.radius));
    for (let y = top; y <= bottom; y++) {
      for (let x = left; x <= right; x++) {
        const dx = x - disc.x;
        const dy = y - disc.y;
        if (dx * dx + dy * dy > disc.radius * disc.radius) continue;
        const index = (y * width + x) * 4;
        paint(pixels, index, mix([pixels[index], pixels[index + 1], pixels[index + 2]], disc.color, 0.6));
      }
    }
  }
  // Adaptive row filtering costs several times the rest of the render for little size gain here.
  return PNG.sync.write(png, { filterType: 0 });
}

function paint(pixels: Buffer, index: number, [red, green, blue]: Rgb): void {
  pixels[index] = red;
  pixels[index + 1] = green;
  pixels[index + 2] = blue;
  pixels[index + 3] = 255;
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
