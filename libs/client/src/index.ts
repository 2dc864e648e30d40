import type { components } from './schema';

export { newApiKey } from './api-key';
export { createMediagenClient, type MediagenClient } from './client';
export type { components, paths } from './schema';
export {
  download,
  type FollowOptions,
  follow,
  getJob,
  JobFailedError,
  MediagenApiError,
  type RunOptions,
  run,
  submit,
} from './sdk';
export type JobResource = components['schemas']['JobResource'];
export type JobOutput = components['schemas']['JobOutput'];
export type JobStatus = components['schemas']['JobStatus'];
export type JobProgress = components['schemas']['JobProgress'];
export type JobAttempt = components['schemas']['JobAttempt'];
export type ProblemDetails = components['schemas']['ProblemDetails'];
