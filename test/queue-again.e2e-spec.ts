import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { isLive, queueAgain } from '../libs/queue/src/queue-again';
import { deleteKeys } from './support/redis-keys';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('queueAgain', () => {
  const prefix = `mediagen-test-queue-again-${randomUUID()}`;
  let queue: Queue;
  let redis: Redis;
  const add = (jobId: string) => async () => void (await queue.add('generate', { jobId }, { jobId }));

  beforeAll(async () => {
    queue = new Queue('generation', { connection: { url: REDIS_URL }, prefix });
    redis = new Redis(REDIS_URL);
    await queue.waitUntilReady();
  });

  afterAll(async () => {
    await queue.close();
    redis.disconnect();
    await deleteKeys(`${prefix}:*`, REDIS_URL);
  });

  it('leaves a job BullMQ will still run alone', async () => {
    await add('waiting-job')();

    expect(await queueAgain(queue, 'waiting-job', add('waiting-job'))).toBe(false);
    expect(await queue.getJobState('waiting-job')).toBe('waiting');
  });

  it('queues again a job stranded by a partial loss of Redis data (its data kept, in no list)', async () => {
    await add('stranded-job')();
    // As when Redis lost the queue's lists but not this job's hash (a wipe racing an add).
    await redis.del(`${prefix}:generation:wait`, `${prefix}:generation:marker`);
    expect(await queue.getJobState('stranded-job')).toBe('unknown');
    expect(await isLive(queue, 'stranded-job')).toBe(false);

    expect(await queueAgain(queue, 'stranded-job', add('stranded-job'))).toBe(true);

    expect(await queue.getJobState('stranded-job')).toBe('waiting');
  });

  it('queues again a job that is gone or finished', async () => {
    expect(await queueAgain(queue, 'never-queued', add('never-queued'))).toBe(true);
    expect(await queue.getJobState('never-queued')).toBe('waiting');
  });
});
