import type { FieldError } from './problem-details';

/** Containers (objects, arrays) a request may nest, the outermost counting as 1. */
export const MAX_JSON_DEPTH = 32;

const NUL = '\u0000';

/**
 * The one place where limits on the shape of request data are decided, checked before anything
 * else walks it: no deeper than MAX_JSON_DEPTH (deeper values would exhaust the stack of what
 * walks them next: class-transformer on a query, `JSON.stringify` in a size rule), and no NUL
 * character in any string or key (PostgreSQL cannot store `\u0000` in text or jsonb). Returns the
 * first problem, naming the field as a dotted path from `name` (the parameter's name when the value
 * is one named parameter, none for a whole body or query).
 */
export function jsonShapeProblem(value: unknown, name = ''): FieldError | null {
  return check(value, name, 1);
}

function check(value: unknown, path: string, depth: number): FieldError | null {
  if (typeof value === 'string') {
    return value.includes(NUL) ? { field: path, message: `${path} must not contain NUL characters (\\u0000)` } : null;
  }
  if (value === null || typeof value !== 'object') return null;
  if (depth > MAX_JSON_DEPTH) {
    const top = path.split('.')[0];
    return { field: top, message: `${top} must not nest deeper than ${MAX_JSON_DEPTH} levels` };
  }
  for (const [key, item] of Object.entries(value)) {
    if (key.includes(NUL)) {
      const field = path || 'body';
      return { field, message: `${field} must not have keys containing NUL characters (\\u0000)` };
    }
    const problem = check(item, path ? `${path}.${key}` : key, depth + 1);
    if (problem) return problem;
  }
  return null;
}
