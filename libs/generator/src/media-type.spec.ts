import { resolveMediaType, SNIFF_BYTES, sniffMediaType } from './media-type';

/** Bytes from latin1 text and byte lists, padded with zeros well past the sniff window. */
const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(
    Buffer.concat([
      ...parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))),
      Buffer.alloc(32),
    ]),
  );

const SAMPLES = {
  png: bytes([0x89], 'PNG\r\n', [0x1a], '\n', [0, 0, 0, 13], 'IHDR'),
  jpeg: bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], 'JFIF'),
  gif87a: bytes('GIF87a', [0x02, 0x00, 0x02, 0x00]),
  gif89a: bytes('GIF89a', [0x02, 0x00, 0x02, 0x00]),
  webp: bytes('RIFF', [0x24, 0x00, 0x00, 0x00], 'WEBPVP8 '),
  wav: bytes('RIFF', [0x24, 0x08, 0x00, 0x00], 'WAVEfmt '),
  mp4: bytes([0x00, 0x00, 0x00, 0x18], 'ftypisom', [0x00, 0x00, 0x02, 0x00]),
  webm: bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01], 'B', [0xf7, 0x81, 0x01], 'webm'),
  ogg: bytes('OggS', [0x00, 0x02]),
  flac: bytes('fLaC', [0x00, 0x00, 0x00, 0x22]),
  mp3Id3: bytes('ID3', [0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
  mp3FrameSync: bytes([0xff, 0xfb, 0x90, 0x64]),
};

const UNKNOWN = bytes('hello, this is plain text');

describe('sniffMediaType', () => {
  it.each([
    ['png', 'image/png', 'png'],
    ['jpeg', 'image/jpeg', 'jpg'],
    ['gif87a', 'image/gif', 'gif'],
    ['gif89a', 'image/gif', 'gif'],
    ['webp', 'image/webp', 'webp'],
    ['wav', 'audio/wav', 'wav'],
    ['mp4', 'video/mp4', 'mp4'],
    ['webm', 'video/webm', 'webm'],
    ['ogg', 'audio/ogg', 'ogg'],
    ['flac', 'audio/flac', 'flac'],
    ['mp3Id3', 'audio/mpeg', 'mp3'],
    ['mp3FrameSync', 'audio/mpeg', 'mp3'],
  ] as const)('recognises %s as %s (.%s)', (sample, contentType, extension) => {
    expect(sniffMediaType(SAMPLES[sample])).toEqual({ contentType, extension });
  });

  it.each(Object.keys(SAMPLES) as (keyof typeof SAMPLES)[])(
    'recognises %s from its first SNIFF_BYTES bytes alone',
    (sample) => {
      const head = SAMPLES[sample].subarray(0, SNIFF_BYTES);

      expect(sniffMediaType(head)).toEqual(sniffMediaType(SAMPLES[sample]));
      expect(sniffMediaType(head)).not.toBeNull();
    },
  );

  it.each([
    ['avif', 'image/avif', 'avif'],
    ['avis', 'image/avif', 'avif'],
    ['heic', 'image/heic', 'heic'],
    ['heix', 'image/heic', 'heic'],
    ['mif1', 'image/heic', 'heic'],
    ['msf1', 'image/heic', 'heic'],
    ['qt  ', 'video/quicktime', 'mov'],
    ['M4A ', 'audio/mp4', 'm4a'],
    ['M4B ', 'audio/mp4', 'm4a'],
    ['mp42', 'video/mp4', 'mp4'],
  ] as const)('tells ISO media files apart by their ftyp brand %j: %s (.%s)', (brand, contentType, extension) => {
    const head = bytes([0x00, 0x00, 0x00, 0x1c], 'ftyp', brand, [0x00, 0x00, 0x00, 0x00]);

    expect(sniffMediaType(head)).toEqual({ contentType, extension });
  });

  it('needs the ftyp box at byte 4 and the brand at byte 8', () => {
    expect(sniffMediaType(bytes('ftypavif'))).toBeNull();
    expect(sniffMediaType(bytes([0, 0, 0, 0x1c], 'ftyp', [0], 'avif'))).toEqual({
      contentType: 'video/mp4',
      extension: 'mp4',
    });
  });

  it('does not sniff a RIFF container that is neither WEBP nor WAVE', () => {
    expect(sniffMediaType(bytes('RIFF', [0x24, 0x00, 0x00, 0x00], 'AVI LIST'))).toBeNull();
  });

  it('does not sniff unknown bytes or nothing at all', () => {
    expect(sniffMediaType(UNKNOWN)).toBeNull();
    expect(sniffMediaType(new Uint8Array())).toBeNull();
  });

  it('does not sniff a signature that is cut short', () => {
    expect(sniffMediaType(SAMPLES.png.subarray(0, 4))).toBeNull();
    expect(sniffMediaType(Buffer.from('RIFF\x24\x00\x00\x00WE', 'latin1'))).toBeNull();
    expect(sniffMediaType(Buffer.from('GIF8', 'latin1'))).toBeNull();
    expect(sniffMediaType(new Uint8Array([0xff]))).toBeNull();
    expect(sniffMediaType(new Uint8Array([0xff, 0xd8]))).toBeNull();
  });

  it.each([
    ['a JPEG start without its first byte', [0x00, 0xd8, 0xff, 0xe0]],
    ['a JPEG start without its second byte', [0xff, 0x00, 0xff, 0xe0]],
    ['MP3 frame-sync bits without the 0xFF before them', [0x00, 0xfb, 0x90, 0x64]],
    ['WEBP without RIFF', [...Buffer.from('RIFX\x24\x00\x00\x00WEBPVP8 ', 'latin1')]],
    ['WAVE without RIFF', [...Buffer.from('RIFX\x24\x08\x00\x00WAVEfmt ', 'latin1')]],
    ['an AVIF brand without the ftyp box', [...Buffer.from('\x00\x00\x00\x1cftypavif', 'latin1').fill(0x78, 4, 8)]],
  ])('does not sniff %s', (_case, head) => {
    expect(sniffMediaType(new Uint8Array(head))).toBeNull();
  });

  it('recognises signatures that fill the whole head exactly', () => {
    expect(sniffMediaType(Buffer.from('OggS', 'latin1'))).toEqual({ contentType: 'audio/ogg', extension: 'ogg' });
    expect(sniffMediaType(new Uint8Array([0xff, 0xfb]))).toEqual({ contentType: 'audio/mpeg', extension: 'mp3' });
  });

  it('does not take a lone 0xFF followed by a byte without the frame-sync bits for MP3', () => {
    expect(sniffMediaType(new Uint8Array([0xff, 0x00, 0x00, 0x00]))).toBeNull();
  });
});

describe('resolveMediaType', () => {
  it('prefers what the bytes say over a wrong declared type', () => {
    expect(resolveMediaType(SAMPLES.png, 'image/jpeg')).toEqual({ contentType: 'image/png', extension: 'png' });
    expect(resolveMediaType(SAMPLES.webp, 'application/octet-stream')).toEqual({
      contentType: 'image/webp',
      extension: 'webp',
    });
  });

  it('uses the sniffed type when nothing is declared', () => {
    expect(resolveMediaType(SAMPLES.mp4, null)).toEqual({ contentType: 'video/mp4', extension: 'mp4' });
  });

  it('falls back to the declared type without its parameters for unknown bytes', () => {
    expect(resolveMediaType(UNKNOWN, 'image/svg+xml; charset=utf-8')).toEqual({
      contentType: 'image/svg+xml',
      extension: 'svg',
    });
  });

  it('trims the declared type around its parameters', () => {
    expect(resolveMediaType(UNKNOWN, ' text/plain ; charset=utf-8')).toEqual({
      contentType: 'text/plain',
      extension: 'txt',
    });
  });

  it('lower-cases the declared type', () => {
    expect(resolveMediaType(UNKNOWN, 'Text/Plain; charset=UTF-8')).toEqual({
      contentType: 'text/plain',
      extension: 'txt',
    });
  });

  it.each([
    ['image/png', 'png'],
    ['image/jpeg', 'jpg'],
    ['image/gif', 'gif'],
    ['image/webp', 'webp'],
    ['image/svg+xml', 'svg'],
    ['video/mp4', 'mp4'],
    ['video/webm', 'webm'],
    ['audio/wav', 'wav'],
    ['audio/x-wav', 'wav'],
    ['audio/mpeg', 'mp3'],
    ['audio/ogg', 'ogg'],
    ['audio/flac', 'flac'],
    ['application/json', 'json'],
    ['text/plain', 'txt'],
    ['model/gltf-binary', 'glb'],
  ])('maps the declared type %s to the extension %s', (declared, extension) => {
    expect(resolveMediaType(UNKNOWN, declared)).toEqual({ contentType: declared, extension });
  });

  it("keeps a declared type it has no extension for, with extension 'bin'", () => {
    expect(resolveMediaType(UNKNOWN, 'application/x-custom')).toEqual({
      contentType: 'application/x-custom',
      extension: 'bin',
    });
  });

  it('gives generic binary when neither the bytes nor a declared type say anything', () => {
    const generic = { contentType: 'application/octet-stream', extension: 'bin' };

    expect(resolveMediaType(UNKNOWN, null)).toEqual(generic);
    expect(resolveMediaType(UNKNOWN, '')).toEqual(generic);
    expect(resolveMediaType(new Uint8Array(), null)).toEqual(generic);
  });

  it.each(['not a type', 'image/', '/png', 'image/png/extra', '; charset=utf-8'])(
    'ignores the malformed declared type %p',
    (declared) => {
      expect(resolveMediaType(UNKNOWN, declared)).toEqual({
        contentType: 'application/octet-stream',
        extension: 'bin',
      });
    },
  );
});
