import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { constants, crc32, createDeflate } from 'node:zlib';

const DISCS = 6;
/** Rows painted between two turns of the event loop: a few milliseconds of work, even before the JIT warmed up. */
const ROWS_PER_SLICE = 32;
const DISC_OPACITY = 0.6;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** 8 bits per channel, RGBA, no interlacing. */
const BIT_DEPTH = 8;
const COLOR_TYPE_RGBA = 6;
/** IHDR: width, height, bit depth, colour type, compression, filter, interlace. */
const HEADER_BYTES = 13;
/** Length, type and CRC around each chunk's data. */
const CHUNK_FRAME = 12;
/** The IDAT chunk's length and type, before its data. */
const IDAT_PREFIX = 8;
/** Room for the IDAT chunk's CRC, then IEND: length 0, type, and its CRC (of the type alone). */
const IEND_WITH_LEADING_CRC = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
/**
 * zlib's fastest level: a 512×512 image takes 1.1 ms of the thread pool's time and comes to 31 KB.
 * The settings pngjs used (level 9, Z_RLE) took 6.2 ms and made 661 KB, most of the worker's
 * memory churn outside V8's heap at that size. The pixels are the same either way.
 */
const DEFLATE_OPTIONS = { level: 1 };
/**
 * zlib hands its output out in chunks of at most this size (a 512×512 image's in one), and of no
 * more than the rows' size for smaller images: each chunk is allocated whole, however little of it is used.
 */
const MAX_DEFLATE_CHUNK = 32 * 1024;
/** Up to this many compressed bytes the file is one buffer: copying it costs less than the writes it saves. */
const ONE_BUFFER_UP_TO = 64 * 1024;
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
 * Most images (512×512 is 31 KB) are one buffer, written at once. A larger file comes as its parts
 * in order, zlib's output chunks between the bytes before and after them, not copied together.
 */
export async function renderMockImage(prompt: string, seed: number, width: number, height: number): Promise<Buffer[]> {
  const digest = createHash('sha256').update(`${seed}\u0000${prompt}`).digest();
  const scanlines = takeRows((1 + width * 4) * height);
  let compressed: Buffer[];
  try {
    for (let top = 0; top < height; top += ROWS_PER_SLICE) {
      if (top > 0) await yieldToEventLoop();
      paintRows(scanlines, digest, width, height, top, Math.min(height, top + ROWS_PER_SLICE));
    }
    compressed = await deflateChunks(scanlines);
  } finally {
    giveBackRows(scanlines);
  }
  const compressedBytes = compressed.reduce((total, chunk) => total + chunk.length, 0);
  const parts = [pngHead(width, height, compressedBytes), ...compressed, pngTail(compressed)];
  return compressedBytes <= ONE_BUFFER_UP_TO ? [Buffer.concat(parts)] : parts;
}

/** Signature, IHDR, and the IDAT chunk's length and type: all that comes before the compressed rows. */
function pngHead(width: number, height: number, compressedBytes: number): Buffer {
  const head = Buffer.alloc(PNG_SIGNATURE.length + CHUNK_FRAME + HEADER_BYTES + IDAT_PREFIX);
  let offset = PNG_SIGNATURE.copy(head, 0);
  head.writeUInt32BE(HEADER_BYTES, offset);
  head.write('IHDR', offset + 4, 'latin1');
  head.writeUInt32BE(width, offset + 8);
  head.writeUInt32BE(height, offset + 12);
  head[offset + 16] = BIT_DEPTH;
  head[offset + 17] = COLOR_TYPE_RGBA;
  // Compression, filter and interlace methods stay 0.
  offset += 8 + HEADER_BYTES;
  offset = head.writeUInt32BE(crc32(head.subarray(offset - HEADER_BYTES - 4, offset)), offset);
  head.writeUInt32BE(compressedBytes, offset);
  head.write('IDAT', offset + 4, 'latin1');
  return head;
}

/** The IDAT chunk's CRC (of its type and the compressed rows), then the empty IEND chunk. */
function pngTail(compressed: Buffer[]): Buffer {
  const tail = Buffer.from(IEND_WITH_LEADING_CRC);
  tail.writeUInt32BE(
    compressed.reduce((crc, chunk) => crc32(chunk, crc), crc32('IDAT')),
    0,
  );
  return tail;
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

/**
 * Paints rows [from, to) of the image into `scanlines` (PNG rows: a filter byte, 0 = none, then
 * RGBA pixels): the gradient from colour `from` (top left) to `to` (bottom right), then the discs.
 * Every byte of the rows is written, so a buffer that held another image serves as well.
 */
function paintRows(scanlines: Buffer, digest: Buffer, width: number, height: number, from: number, to: number): void {
  const stride = 1 + width * 4;
  const at = (x: number, y: number) => y * stride + 1 + x * 4;
  for (let y = from; y < to; y++) {
    scanlines[y * stride] = 0;
    for (let x = 0; x < width; x++) {
      const t = (x / width + y / height) / 2;
      const index = at(x, y);
      for (let channel = 0; channel < 3; channel++) {
        const start = digest[channel];
        scanlines[index + channel] = Math.round(start + (digest[3 + channel] - start) * t);
      }
      scanlines[index + 3] = 255;
    }
  }
  const size = Math.min(width, height);
  for (let disc = 0; disc < DISCS; disc++) {
    const offset = 6 + disc * 4;
    const cx = (digest[offset] / 255) * width;
    const cy = (digest[offset + 1] / 255) * height;
    const radius = (0.08 + (digest[offset + 2] / 255) * 0.22) * size;
    const color = (offset + 3) % 30;
    // Only the disc's bounding box (within these rows) can change, so only it is visited.
    const top = Math.max(from, Math.floor(cy - radius));
    const bottom = Math.min(to - 1, Math.ceil(cy + radius));
    const left = Math.max(0, Math.floor(cx - radius));
    const right = Math.min(width - 1, Math.ceil(cx + radius));
    for (let y = top; y <= bottom; y++) {
      for (let x = left; x <= right; x++) {
        const dx = x - cx;
        const dy = y - cy;
        if (dx * dx + dy * dy > radius * radius) continue;
        const index = at(x, y);
        for (let channel = 0; channel < 3; channel++) {
          const under = scanlines[index + channel];
          scanlines[index + channel] = Math.round(under + (digest[color + channel] - under) * DISC_OPACITY);
        }
      }
    }
  }
}
