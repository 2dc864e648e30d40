import { createHash } from 'node:crypto';
import type { QueryConfig } from 'pg';

/**
 * PostgreSQL's answers when a connection pooler in transaction mode (PgBouncer before 1.21) sends a
 * statement to a server connection other than the one that prepared it: "prepared statement does
 * not exist" (26000) or "already exists" (42P05). Both come before anything runs.
 */
const REFUSED_BY_POOLER = new Set(['26000', '42P05']);

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

/**
 * Runs statements named (prepared) while `enabled`, until the database shows that something in
 * between cannot keep them: the refused statement runs again unnamed (it never ran), `onRefused`
 * is told once, and every later statement of the process is unnamed.
 */
export class NamedStatements {
  private refused = false;

  constructor(
    private readonly enabled: boolean,
    private readonly onRefused: (error: unknown) => void,
  ) {}

  async run<T>(text: string, values: unknown[], execute: (query: QueryConfig) => Promise<T>): Promise<T> {
    const prepared = this.enabled && !this.refused;
    try {
      return await execute(namedStatement(text, values, prepared));
    } catch (error) {
      if (!prepared || !REFUSED_BY_POOLER.has((error as { code?: string }).code ?? '')) throw error;
      if (!this.refused) this.onRefused(error);
      this.refused = true;
      return execute(namedStatement(text, values, false));
    }
  }
}

function statementName(text: string): string {
  let name = namesByText.get(text);
  if (name === undefined) {
    name = `mediagen_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    namesByText.set(text, name);
  }
  return name;
}
