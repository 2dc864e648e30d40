import { createHash } from 'node:crypto';
import type { QueryConfig } from 'pg';

const namesByText = new Map<string, string>();

/**
 * The query `text` with `values`; when `prepared`, named after its text. node-postgres then has
 * each connection parse a named statement once and only bind and run it afterwards, so
 * PostgreSQL skips parsing and planning on every later call. The same text always gets the same
 * name and different texts different ones (node-postgres refuses one name for two texts).
 */
export function namedStatement(text: string, values: unknown[], prepared: boolean): QueryConfig {
  return prepared ? { name: statementName(text), text, values } : { text, values };
}

function statementName(text: string): string {
  let name = namesByText.get(text);
  if (name === undefined) {
    name = `mediagen_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    namesByText.set(text, name);
  }
  return name;
}
