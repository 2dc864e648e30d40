/** The schema of a documented response header: a string unless said otherwise. */
export type HeaderSchema = { type: 'string' | 'integer'; format?: string };

/** An OpenAPI response header: what it carries, and its schema. */
export function headerDoc(description: string, schema: HeaderSchema = { type: 'string' }) {
  return { description, schema };
}
