import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { constants, createDeflate } from 'node:zlib';
import { pngFile } from './png-file';

const DISCS = 6;
/** Rows painted between two turns of the event loop: a few milliseconds of work, even before the JIT warmed up. */
const ROWS_PER_SLICE = 32;
const DISC_OPACITY = 0.6;
/**
 * zlib's fastest level: a 512×512 image takes 1.1 ms of the thread pool's time and comes to 31 KB.
 * The settings pngjs used (level 9, Z_RLE) took 6.2 ms and made 661 KB, most of the worker's
 * memory churn outside V8's heap at that size. The pixels are the same either way.
 */
const DEFLATE_OPTIONS = { level: 1 };
/**
 * zlib hands its output out in chunks of at most this size, and of no more than the rows' size for
 * smaller images: each chunk is allocated whole, however little of it is used.
 */
const MAX_DEFLATE_CHUNK = 64 * 1024;
/**
 * The row buffers of the last finished images are kept for the next images of their size, up to
 * this many bytes (four 512×512 images' rows, the oldest dropped first). Each image's rows are 1 MB
 * at 512×512, and so much memory outside V8's heap, allocated anew for every image, made V8 run a
 * full collection every few images.
 */
const SPARE_ROW_BYTES = 4 * (1 + 512 * 4) * 512;
const spareRows: Buffer[] = [];

/**
 * Renders a PNG that depends only on (prompt, seed, size): a two-colour gradient with a few
 * translucent discs, all derived from a SHA-256 of the prompt and seed, so different prompts
 * give visibly different pictures and the same request always gives the same bytes.
 *
 * The event loop is never held for long: pixels are painted a slice of rows at a time and the
 * compression runs on libuv's thread pool, so other jobs' I/O and lock renewals go on meanwhile.
 *
 * The file comes as `pngFile` puts it together: most images (512×512 is about 32 KB) as one buffer.
 */
export async function renderMockImage(prompt: string, seed: number, width: number, height: number): Promise<Buffer[]> {
  const picture = pictureOf(createHash('sha256').update(`${seed}\u0000${prompt}`).digest(), width, height);
  const scanlines = takeRows((1 + width * 4) * height);
  let compressed: Buffer[];
  try {
    for (let top = 0; top < height; top += ROWS_PER_SLICE) {
      if (top > 0) await yieldToEventLoop();
      paintRows(scanlines, picture, top, Math.min(height, top + ROWS_PER_SLICE));
    }
    compressed = await deflateChunks(scanlines);
  } finally {
    giveBackRows(scanlines);
  }
  return pngFile(width, height, compressed);
}

/** A buffer for `bytes` of rows: a spare one of that size, or a new one (paintRows writes every byte). */
function takeRows(bytes: number): Buffer {
  const spare = spareRows.findIndex((rows) => rows.length === bytes);
  return spare === -1 ? Buffer.allocUnsafe(bytes) : spareRows.splice(spare, 1)[0];
}

function giveBackRows(rows: Buffer): void {
  spareRows.push(rows);
  while (spareRows.reduce((total, spare) => total + spare.length, 0) > SPARE_ROW_BYTES) spareRows.shift();
}

/** The compressed rows as zlib hands them out, compressed on libuv's thread pool, not copied into one buffer. */
async function deflateChunks(scanlines: Buffer): Promise<Buffer[]> {
  const chunkSize = Math.max(constants.Z_MIN_CHUNK, Math.min(MAX_DEFLATE_CHUNK, scanlines.length));
  const deflater = createDeflate({ ...DEFLATE_OPTIONS, chunkSize });
  deflater.end(scanlines);
  const chunks: Buffer[] = [];
  for await (const chunk of deflater) chunks.push(chunk as Buffer);
  return chunks;
}

interface Disc {
  cx: number;
  cy: number;
  radius: number;
  /** What the disc makes of each channel value under it: red, green, blue, 256 values each. */
  blend: Uint8Array;
}

/** What painting any row of an image needs, worked out once per image from its digest and size. */
interface Picture {
  width: number;
  height: number;
  /** `x / width` for every column. */
  columns: Float64Array;
  /** The gradient's top-left colour, and what it rises by towards the bottom right (red, green, blue). */
  start: [number, number, number];
  rise: [number, number, number];
  discs: Disc[];
}

function pictureOf(digest: Buffer, width: number, height: number): Picture {
  const size = Math.min(width, height);
  const discs = Array.from({ length: DISCS }, (_, disc) => {
    const offset = 6 + disc * 4;
    return {
      cx: (digest[offset] / 255) * width,
      cy: (digest[offset + 1] / 255) * height,
      radius: (0.08 + (digest[offset + 2] / 255) * 0.22) * size,
      blend: blendTable(digest, (offset + 3) % 30),
    };
  });
  return {
    width,
    height,
    columns: Float64Array.from({ length: width }, (_, x) => x / width),
    start: [digest[0], digest[1], digest[2]],
    rise: [digest[3] - digest[0], digest[4] - digest[1], digest[5] - digest[2]],
    discs,
  };
}

/** What a disc of colour `digest[color…color+2]` makes of each channel value under it: three runs of 256. */
function blendTable(digest: Buffer, color: number): Uint8Array {
  const table = new Uint8Array(768);
  for (let channel = 0; channel < 3; channel++) {
    for (let under = 0; under < 256; under++) {
      table[channel * 256 + under] = Math.round(under + (digest[color + channel] - under) * DISC_OPACITY);
    }
  }
  return table;
}

/**
 * Paints rows [from, to) of the picture into `scanlines` (PNG rows: a filter byte, 0 = none, then
 * RGBA pixels): the gradient from its start colour (top left) to start + rise (bottom right), then
 * the discs. Every byte of the rows is written, so a buffer that held another image serves as well.
 */
function paintRows(scanlines: Buffer, picture: Picture, from: number, to: number): void {
  const { width, height, columns } = picture;
  const stride = 1 + width * 4;
  const [red, green, blue] = picture.start;
  const [redRise, greenRise, blueRise] = picture.rise;
  for (let y = from; y < to; y++) {
    scanlines[y * stride] = 0;
    const row = y / height;
    for (let x = 0, index = y * stride + 1; x < width; x++, index += 4) {
      const t = (columns[x] + row) / 2;
      scanlines[index] = Math.round(red + redRise * t);
      scanlines[index + 1] = Math.round(green + greenRise * t);
      scanlines[index + 2] = Math.round(blue + blueRise * t);
      scanlines[index + 3] = 255;
    }
  }
  // Indexed, not for…of: painting took about a quarter longer with a for…of over the discs.
  for (let disc = 0; disc < picture.discs.length; disc++) {
    const { cx, cy, radius, blend } = picture.discs[disc];
    // Only the disc's rows (within these) can change, and in each row one run of pixels.
    const top = Math.max(from, Math.floor(cy - radius));
    const bottom = Math.min(to - 1, Math.ceil(cy + radius));
    for (let y = top; y <= bottom; y++) {
      const dy = y - cy;
      const run = runInside(cx, dy * dy, radius * radius, width);
      const first = run[0];
      const last = run[1];
      for (let x = first, index = y * stride + 1 + first * 4; x <= last; x++, index += 4) {
        scanlines[index] = blend[scanlines[index]];
        scanlines[index + 1] = blend[256 + scanlines[index + 1]];
        scanlines[index + 2] = blend[512 + scanlines[index + 2]];
      }
    }
  }
}

/**
 * The columns of a row at `rise` (squared distance from the centre row) that a disc of squared
 * radius `reach` covers, as [first, last] (first > last: none): one run around the column nearest
 * the centre, walked outwards with the pixel test the painting has always used. The answer is
 * written into one shared pair, read before the next call (painting never awaits): a new pair and
 * test closure for every row of every disc were most of an image's garbage.
 */
function runInside(cx: number, rise: number, reach: number, width: number): Int32Array {
  const nearest = Math.min(width - 1, Math.round(cx));
  if (!covers(nearest, cx, rise, reach)) return setRun(1, 0);
  let first = nearest;
  while (first > 0 && covers(first - 1, cx, rise, reach)) first--;
  let last = nearest;
  while (last < width - 1 && covers(last + 1, cx, rise, reach)) last++;
  return setRun(first, last);
}

const sharedRun = new Int32Array(2);

function setRun(first: number, last: number): Int32Array {
  sharedRun[0] = first;
  sharedRun[1] = last;
  return sharedRun;
}

function covers(x: number, cx: number, rise: number, reach: number): boolean {
  return (x - cx) * (x - cx) + rise <= reach;
}
