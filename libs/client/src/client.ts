import createClient, { type ClientOptions } from 'openapi-fetch';
import type { paths } from './schema';

/** A typed client for the mediagen API, generated from openapi.json (`npm run openapi`). */
export function createMediagenClient(baseUrl: string, options: Omit<ClientOptions, 'baseUrl'> = {}) {
  return createClient<paths>({ ...options, baseUrl });
}

export type MediagenClient = ReturnType<typeof createMediagenClient>;
