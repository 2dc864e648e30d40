export interface MediaType {
  contentType: string;
  extension: string;
}

/** How many leading bytes `sniffMediaType` needs to recognise every type it knows. */
export const SNIFF_BYTES = 16;

// Reading past the end gives undefined, which matches no character: a short head simply does not match.
const ascii = (bytes: Uint8Array, from: number, text: string) =>
  [...text].every((char, i) => bytes[from + i] === char.charCodeAt(0));

/** ISO base media files (MP4 and relatives) name their kind in the brand after `ftyp`. */
const ftyp = (bytes: Uint8Array, brands: string[]) =>
  ascii(bytes, 4, 'ftyp') && brands.some((brand) => ascii(bytes, 8, brand));

const SIGNATURES: { type: MediaType; matches: (bytes: Uint8Array) => boolean }[] = [
  { type: { contentType: 'image/png', extension: 'png' }, matches: (b) => ascii(b, 0, '\x89PNG\r\n\x1a\n') },
  {
    type: { contentType: 'image/jpeg', extension: 'jpg' },
    matches: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  },
  {
    type: { contentType: 'image/gif', extension: 'gif' },
    matches: (b) => ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a'),
  },
  {
    type: { contentType: 'image/webp', extension: 'webp' },
    matches: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP'),
  },
  { type: { contentType: 'audio/wav', extension: 'wav' }, matches: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE') },
  { type: { contentType: 'image/avif', extension: 'avif' }, matches: (b) => ftyp(b, ['avif', 'avis']) },
  { type: { contentType: 'image/heic', extension: 'heic' }, matches: (b) => ftyp(b, ['heic', 'heix', 'mif1', 'msf1']) },
  { type: { contentType: 'video/quicktime', extension: 'mov' }, matches: (b) => ftyp(b, ['qt  ']) },
  { type: { contentType: 'audio/mp4', extension: 'm4a' }, matches: (b) => ftyp(b, ['M4A ', 'M4B ']) },
  { type: { contentType: 'video/mp4', extension: 'mp4' }, matches: (b) => ascii(b, 4, 'ftyp') },
  { type: { contentType: 'video/webm', extension: 'webm' }, matches: (b) => ascii(b, 0, '\x1a\x45\xdf\xa3') },
  { type: { contentType: 'audio/ogg', extension: 'ogg' }, matches: (b) => ascii(b, 0, 'OggS') },
  { type: { contentType: 'audio/flac', extension: 'flac' }, matches: (b) => ascii(b, 0, 'fLaC') },
  {
    type: { contentType: 'audio/mpeg', extension: 'mp3' },
    matches: (b) => ascii(b, 0, 'ID3') || (b[0] === 0xff && (b[1] & 0xe0) === 0xe0),
  },
];

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/svg+xml': 'svg',
  'video/mp4': 'mp4',
  'video/webm': 'webm',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/mpeg': 'mp3',
  'audio/ogg': 'ogg',
  'audio/flac': 'flac',
  'application/json': 'json',
  'text/plain': 'txt',
  'model/gltf-binary': 'glb',
};

/** The media type the bytes themselves declare, or null when their signature is not known. */
export function sniffMediaType(head: Uint8Array): MediaType | null {
  return SIGNATURES.find((signature) => signature.matches(head))?.type ?? null;
}

/**
 * The type to record for an output: what the bytes say when they say it (a server's header can
 * be wrong), else the declared Content-Type, else generic binary.
 */
export function resolveMediaType(head: Uint8Array, declared: string | null): MediaType {
  const sniffed = sniffMediaType(head);
  if (sniffed) return sniffed;
  const contentType = declared?.split(';')[0].trim().toLowerCase();
  if (contentType && /^[\w.+-]+\/[\w.+-]+$/.test(contentType)) {
    return { contentType, extension: EXTENSIONS[contentType] ?? 'bin' };
  }
  return { contentType: 'application/octet-stream', extension: 'bin' };
}
