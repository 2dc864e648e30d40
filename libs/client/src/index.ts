import createClient, { type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components, paths } from './schema';
export type JobResource = components['schemas']['JobResource'];
export type JobStatus = components['schemas']['JobStatus'];
export type JobProgress = components['schemas']['JobProgress'];
export type JobAttempt = components['schemas']['JobAttempt'];
export type ProblemDetails = components['schemas']['ProblemDetails'];

/** A typed client for the mediagen API, generated from openapi.json (`npm run openapi`). */
export function createMediagenClient(baseUrl: string, options: Omit<ClientOptions, 'baseUrl'> = {}) {
  return createClient<paths>({ ...options, baseUrl });
}

export type MediagenClient = ReturnType<typeof createMediagenClient>;
