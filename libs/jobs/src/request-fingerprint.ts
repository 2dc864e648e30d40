import { createHash } from 'node:crypto';

/** A digest of what a submission asks for, independent of JSON key order. */
export function fingerprint(request: {
  prompt: string;
  model: string;
  input: Record<string, unknown>;
  webhook?: unknown;
}): string {
  const { prompt, model, input, webhook } = request;
  return createHash('sha256')
    .update(canonicalJson({ prompt, model, input, webhook: webhook ?? null }))
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(byKey);
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Object keys are unique, so no two entries compare equal. */
// Stryker disable next-line EqualityOperator: with unique keys `a <= b` orders exactly as `a < b`
const byKey = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : 1);
