/**
 * The one place where the service decides how a stored output is handed to clients, by the api
 * and by presigned storage URLs alike. Model outputs are untrusted: an HTML or SVG output shown
 * inline on the api's origin could run script there. So only an allow-list of image, audio, video
 * and JSON types is served inline; every other type is served as opaque bytes to download.
 */
export interface MediaServing {
  /** The Content-Type to answer with. */
  contentType: string;
  /** The Content-Disposition to answer with: `inline` or `attachment`, with a safe file name. */
  disposition: string;
}

/** Types a browser renders without running anything. SVG, HTML and XML are deliberately absent. */
const INLINE_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/heic',
  'image/bmp',
  'audio/mpeg',
  'audio/wav',
  'audio/x-wav',
  'audio/ogg',
  'audio/flac',
  'audio/aac',
  'audio/mp4',
  'audio/webm',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'video/quicktime',
  'application/json',
]);

export const DOWNLOAD_CONTENT_TYPE = 'application/octet-stream';

/** Every Content-Type a media answer can carry: the inline types and the download type. */
export const SERVED_CONTENT_TYPES: readonly string[] = [...INLINE_TYPES, DOWNLOAD_CONTENT_TYPE];

/** How to serve an output stored as `storedType` under the name `file`. */
export function mediaServing(storedType: string, file: string): MediaServing {
  const essence = storedType.split(';')[0].trim().toLowerCase();
  const filename = safeFilename(file);
  return INLINE_TYPES.has(essence)
    ? { contentType: essence, disposition: `inline; filename="${filename}"` }
    : { contentType: DOWNLOAD_CONTENT_TYPE, disposition: `attachment; filename="${filename}"` };
}

/** A name that needs no escaping inside a quoted header parameter and cannot be a hidden file. */
function safeFilename(file: string): string {
  const cleaned = file.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._]+/, '');
  return cleaned || 'download';
}
