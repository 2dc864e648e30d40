const MEDIA_URL = /^(https?:|data:)/i;

/**
 * The model's own output as a JSON value, each of its files replaced by `{"$output": n}` (n its
 * place among the generated media): how to give the stored outputs back in the shape the model
 * gave them (one URL, a list, an object holding them).
 */
export type OutputShape = null | boolean | number | string | OutputShape[] | { [key: string]: OutputShape };

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

/**
 * The shape of a prediction's output: the output itself with each media URL, in the order
 * `collectMediaUrls` gives them, replaced by `{"$output": n}`. Values that are not JSON (undefined)
 * become null.
 */
export function outputShapeOf(output: unknown): OutputShape {
  let next = 0;
  const walk = (value: unknown): OutputShape => {
    if (typeof value === 'string') return MEDIA_URL.test(value) ? { $output: next++ } : value;
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item)]));
    }
    return typeof value === 'number' || typeof value === 'boolean' ? value : null;
  };
  return walk(output);
}
