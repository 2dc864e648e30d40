const MEDIA_URL = /^(https?:|data:)/i;

/**
 * Every media URL in a prediction's output, in order. Models return a URL, a list of URLs, or
 * objects holding them (possibly nested); other values (numbers, plain text) are not media.
 */
export function collectMediaUrls(output: unknown): string[] {
  if (typeof output === 'string') return MEDIA_URL.test(output) ? [output] : [];
  // Stryker disable next-line ConditionalExpression: the object branch below gives an array's elements in the same order.
  if (Array.isArray(output)) return output.flatMap(collectMediaUrls);
  // Stryker disable next-line ConditionalExpression: the other truthy values (numbers, true) have no own values, so they give [] too.
  if (output && typeof output === 'object') return Object.values(output).flatMap(collectMediaUrls);
  return [];
}
