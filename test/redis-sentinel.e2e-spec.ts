import { createIsolatedDatabase, type IsolatedDatabase } from './support/isolated-database';
import { itLimitsSubmissions, itRunsTheJobFlow } from './support/job-flow';
import {
  REDIS_SERVERS_MISSING,
  type RunningRedisSentinels,
  redisServersFound,
  SENTINEL_MASTER_NAME,
  startRedisSentinels,
} from './support/redis-servers';
import { useService } from './support/service';

// The service behind Redis Sentinel (REDIS_SENTINELS + REDIS_SENTINEL_NAME): it asks the
// Sentinels for the master, and follows a failover. Replication is asynchronous, so a job enqueued
// just before the master died may be missing on the promoted replica: the reconciliation sweep
// (fast here) queues it again from PostgreSQL, so no accepted job is lost. The sweep takes every
// unfinished row of its database, hence a database of the file's own.

const describeWithRedis = redisServersFound || process.env.CI ? describe : describe.skip;
const TITLE = redisServersFound ? 'behind Redis Sentinel' : `behind Redis Sentinel: skipped, ${REDIS_SERVERS_MISSING}`;
/** Above what the job flow and the failover submit, so only the rate limit test reaches it. */
const RATE_LIMIT = 40;
const SMALL = { width: 16, height: 16 };

let database: IsolatedDatabase;
let sentinels: RunningRedisSentinels;
const env: Record<string, string> = {
  REDIS_URL: '',
  REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME,
  MOCK_LATENCY_MS: '300',
  SUBMIT_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
  SWEEP_INTERVAL_MS: '500',
  SWEEP_QUEUED_AGE_MS: '3000',
  SWEEP_PROCESSING_AGE_MS: '5000',
  WORKER_LOCK_DURATION_MS: '5000',
  WORKER_STALLED_INTERVAL_MS: '2000',
};

describeWithRedis(TITLE, () => {
  beforeAll(async () => {
    database = await createIsolatedDatabase('sentinel');
    sentinels = await startRedisSentinels();
    Object.assign(env, { DATABASE_URL: database.url, REDIS_SENTINELS: sentinels.sentinels });
  });
  afterAll(async () => {
    await sentinels?.stop();
    await database?.drop();
  });

  describe('api and worker', () => {
    const running = useService(env);

    itRunsTheJobFlow(() => running.service);

    it('loses no accepted job when the master dies and the Sentinels promote the replica', async () => {
      const { client } = running.service;
      const { api } = client;
      const accepted: string[] = [];
      const submitSome = async (count: number) => {
        for (let index = 0; index < count; index += 1) {
          const { data, response } = await api.POST('/v1/generate', {
            body: { prompt: `around a failover ${accepted.length}`, input: SMALL },
          });
          // While Redis fails over the api still accepts: the row is committed, the enqueue left to the sweep.
          expect(response.status).toBe(202);
          if (data) accepted.push(data.id);
        }
      };
      await running.service.queue.resume();
      await submitSome(10);
      const oldMaster = await sentinels.masterPort();

      const failover = sentinels.failover();
      await submitSome(5);
      const newMaster = await failover;
      await submitSome(5);

      expect(newMaster).not.toBe(oldMaster);
      const ended = await Promise.all(accepted.map((id) => client.waitUntilDone(id, 90_000)));
      expect(ended.filter((job) => job.status !== 'succeeded')).toEqual([]);
      // And the service runs on: a job submitted now succeeds too.
      const after = await client.submit({ prompt: 'after the failover', input: SMALL });
      expect(await client.waitUntilDone(after.id, 30_000)).toMatchObject({ status: 'succeeded' });
    }, 150_000);

    itLimitsSubmissions(() => running.service, RATE_LIMIT);
  });
});
