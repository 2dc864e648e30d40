import { once } from 'node:events';
import { Cluster } from 'ioredis';
import { itLimitsSubmissions, itRunsTheJobFlow } from './support/job-flow';
import {
  REDIS_SERVERS_MISSING,
  type RunningRedisCluster,
  redisServersFound,
  startRedisCluster,
} from './support/redis-servers';
import { useService } from './support/service';

// The service on a Redis Cluster of three masters (REDIS_CLUSTER_NODES): BullMQ's scripts need
// each queue's keys in one slot (the prefix is a hash tag), the job signals use pub/sub across
// nodes (the api may subscribe on one node while the worker publishes through another), and the
// submit rate limit counts in the cluster.

const describeWithRedis = redisServersFound || process.env.CI ? describe : describe.skip;
const TITLE = redisServersFound ? 'on a Redis Cluster' : `on a Redis Cluster: skipped, ${REDIS_SERVERS_MISSING}`;
const RATE_LIMIT = 20;

let cluster: RunningRedisCluster;
const env: Record<string, string> = {
  REDIS_URL: '',
  MOCK_LATENCY_MS: '300',
  SUBMIT_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
};

describeWithRedis(TITLE, () => {
  beforeAll(async () => {
    cluster = await startRedisCluster();
    env.REDIS_CLUSTER_NODES = cluster.nodes;
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  describe('api and worker', () => {
    const running = useService(env);

    itRunsTheJobFlow(() => running.service);

    it("keeps every key under the hash-tagged prefix, so each queue's keys share a slot", async () => {
      const prefix = `{${process.env.QUEUE_PREFIX}}`;
      const client = new Cluster(
        cluster.nodes.split(',').map((address) => ({ host: '127.0.0.1', port: Number(address.split(':')[1]) })),
      );
      try {
        await once(client, 'ready');
        const keys = (await Promise.all(client.nodes('master').map((node) => node.keys('*')))).flat();
        expect(keys.length).toBeGreaterThan(0);
        expect(keys.filter((key) => !key.startsWith(`${prefix}:`))).toEqual([]);
        const slots = new Set(await Promise.all(keys.map((key) => client.cluster('KEYSLOT', key))));
        expect(slots.size).toBe(1);
      } finally {
        client.disconnect();
      }
    });

    itLimitsSubmissions(() => running.service, RATE_LIMIT);
  });
});
