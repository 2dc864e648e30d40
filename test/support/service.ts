import { rm } from 'node:fs/promises';
import { GENERATION_QUEUE } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Queue } from 'bullmq';
import { createApiApp } from '../../apps/api/src/api.app';
import { createWorkerApp } from '../../apps/worker/src/worker.app';
import { EnvironmentOverrides } from './environment-overrides';
import { JobsClient } from './jobs-client';
import { deleteKeys } from './redis-keys';

export interface RunningService {
  /** Where the api listens, e.g. `http://127.0.0.1:41234`. */
  baseUrl: string;
  /** Talks to the api through the generated client. */
  client: JobsClient;
  api: NestFastifyApplication;
  worker: INestApplicationContext;
  queue: Queue;
  stop(): Promise<void>;
}

/** Starts the real api (on a free port) and worker against the test database and Redis prefix. */
export async function startService(): Promise<RunningService> {
  const api = await createApiApp();
  await api.listen(0, '127.0.0.1');
  const worker = await createWorkerApp();
  const queue = api.get<Queue>(getQueueToken(GENERATION_QUEUE));
  const baseUrl = await api.getUrl();
  return {
    baseUrl,
    client: new JobsClient(baseUrl),
    api,
    worker,
    queue,
    stop: async () => {
      await worker.close();
      await queue.obliterate({ force: true });
      await api.close();
      // Every other key of the file's prefix too (the maintenance schedule, signals, rate limits).
      await deleteKeys(`${process.env.QUEUE_PREFIX}:*`);
      await rm(process.env.STORAGE_LOCAL_DIR as string, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the service (with `env` set while it runs) before the enclosing block's tests and stops
 * it after them. Read `service` and `client` from the returned object inside tests (they exist
 * once `beforeAll` ran).
 */
export function useService(env: Record<string, string> = {}): {
  readonly service: RunningService;
  readonly client: JobsClient;
} {
  const overrides = new EnvironmentOverrides();
  let running: RunningService | undefined;
  beforeAll(async () => {
    overrides.set(env);
    running = await startService();
  });
  afterAll(async () => {
    await running?.stop();
    overrides.restore();
  });
  const started = () => {
    if (!running) throw new Error('the service is not started yet: use it inside a test');
    return running;
  };
  return {
    get service() {
      return started();
    },
    get client() {
      return started().client;
    },
  };
}
