import { rm } from 'node:fs/promises';
import { GENERATION_QUEUE } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Queue } from 'bullmq';
import { createApiApp } from '../../apps/api/src/api.app';
import { createWorkerApp } from '../../apps/worker/src/worker.app';

export interface RunningService {
  /** Where the api listens, e.g. `http://127.0.0.1:41234`. */
  baseUrl: string;
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
  return {
    baseUrl: await api.getUrl(),
    api,
    worker,
    queue,
    stop: async () => {
      await worker.close();
      await queue.obliterate({ force: true });
      await api.close();
      await rm(process.env.STORAGE_LOCAL_DIR as string, { recursive: true, force: true });
    },
  };
}
