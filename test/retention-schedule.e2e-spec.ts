import { setTimeout as sleep } from 'node:timers/promises';
import { MAINTENANCE_QUEUE } from '@app/queue';
import type { INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { createWorkerApp } from '../apps/worker/src/worker.app';
import { EnvironmentOverrides } from './support/environment-overrides';
import { deleteKeys } from './support/redis-keys';

// Operators change RETENTION_INTERVAL_MS and restart: the next run must follow the new interval,
// not the schedule a worker with the old interval left in Redis.
describe('retention schedule across restarts', () => {
  const env = new EnvironmentOverrides();
  let maintenance: Queue;
  let worker: INestApplicationContext | undefined;

  beforeAll(() => {
    maintenance = new Queue(MAINTENANCE_QUEUE, {
      connection: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
      prefix: process.env.QUEUE_PREFIX,
    });
  });

  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    env.restore();
  });

  afterAll(async () => {
    await maintenance.close();
    // Every key the workers left under the file's prefix: the schedule, the other queues' meta.
    await deleteKeys(`${process.env.QUEUE_PREFIX}:*`);
  });

  async function restartWorker(intervalMs?: number): Promise<void> {
    await worker?.close();
    env.set({ RETENTION_DAYS: '30', ...(intervalMs && { RETENTION_INTERVAL_MS: String(intervalMs) }) });
    worker = await createWorkerApp();
  }

  async function completedRunsWithin(ms: number, before: number): Promise<number> {
    const deadline = Date.now() + ms;
    let completed = await maintenance.getCompletedCount();
    while (completed === before && Date.now() < deadline) {
      await sleep(50);
      completed = await maintenance.getCompletedCount();
    }
    return completed;
  }

  it('runs within two intervals after each restart with a smaller or the same interval', async () => {
    await restartWorker();
    await sleep(200);

    for (const intervalMs of [2000, 1000, 1000]) {
      const before = await maintenance.getCompletedCount();
      await restartWorker(intervalMs);
      // A changed schedule may run once at once; what matters is that the runs after it keep the pace.
      const first = await completedRunsWithin(2 * intervalMs, before);
      const second = await completedRunsWithin(2 * intervalMs, first);

      expect(first).toBeGreaterThan(before);
      expect(second).toBeGreaterThan(first);
      expect(await maintenance.getJobScheduler('retention')).toMatchObject({ every: intervalMs });
    }
  });
});
