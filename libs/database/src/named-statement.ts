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
 * Runs statements named after their text while `enabled`, so node-postgres has each connection
 * parse one once and only bind and run it afterwards (PostgreSQL skips parsing and planning on
 * every later call). The same text always gets the same name and different texts different ones
 * (node-postgres refuses one name for two texts). Once the database shows that something in
 * between cannot keep them, the refused statement runs again unnamed (it never ran), `onRefused`
 * is told once, and every later statement of the process is unnamed.
 */
export class NamedStatements {
  private prepared: boolean;

  constructor(
    enabled: boolean,
    private readonly onRefused: (error: unknown) => void,
  ) {
    this.prepared = enabled;
  }

  async run<T>(text: string, values: unknown[], execute: (query: QueryConfig) => Promise<T>): Promise<T> {
    const named = this.prepared;
    try {
      return await execute(named ? { name: statementName(text), text, values } : { text, values });
    } catch (error) {
      if (!named || !REFUSED_BY_POOLER.has((error as { code?: string }).code ?? '')) throw error;
      if (this.prepared) this.onRefused(error);
      this.prepared = false;
      return execute({ text, values });
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
