const MEDIA_URL = /^(https?:|data:)/i;

/**
 * Every media URL in a prediction's output, in order. Models return a URL, a list of URLs, or
 * objects holding them (possibly nested); other values (numbers, plain text) are not media.
 */
export function collectMediaUrls(output: unknown): string[] {
  if (typeof output === 'string') return MEDIA_URL.test(output) ? [output] : [];
  if (Array.isArray(output)) return output.flatMap(collectMediaUrls);
  if (output && typeof output === 'object') return Object.values(output).flatMap(collectMediaUrls);
  return [];
}
