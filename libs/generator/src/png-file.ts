import { crc32 } from 'node:zlib';

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
/** Up to this many compressed bytes the file is one buffer: copying it costs less than the writes it saves. */
const ONE_BUFFER_UP_TO = 64 * 1024;

/**
 * An RGBA PNG file around its rows, already filtered and compressed (a zlib stream, in the chunks
 * zlib handed out), as the file's parts in order. Up to 64 KB of compressed rows that is one buffer,
 * written at once; above, the compressed chunks are not copied: the parts are the bytes before
 * them, the chunks themselves, and the bytes after.
 */
export function pngFile(width: number, height: number, compressedRows: Buffer[]): Buffer[] {
  const compressedBytes = compressedRows.reduce((total, chunk) => total + chunk.length, 0);
  const parts = [pngHead(width, height, compressedBytes), ...compressedRows, pngTail(compressedRows)];
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
function pngTail(compressedRows: Buffer[]): Buffer {
  const tail = Buffer.from(IEND_WITH_LEADING_CRC);
  tail.writeUInt32BE(
    compressedRows.reduce((crc, chunk) => crc32(chunk, crc), crc32('IDAT')),
    0,
  );
  return tail;
}
