import type { RedisTopology } from '@app/config';
import { describeRedis, pingRedis } from './redis-preflight';

describe('describeRedis', () => {
  it.each([
    [
      'a URL, without its password',
      { kind: 'standalone', url: 'redis://:secret@cache.internal:6380/2' },
      'cache.internal:6380 (REDIS_URL)',
    ],
    [
      'a URL on the default port',
      { kind: 'standalone', url: 'redis://cache.internal' },
      'cache.internal:6379 (REDIS_URL)',
    ],
    [
      'the Sentinels and the master they name',
      {
        kind: 'sentinel',
        name: 'mymaster',
        sentinels: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26380 },
        ],
      },
      'master mymaster via s1:26379,s2:26380 (REDIS_SENTINELS)',
    ],
    [
      'the Cluster seed nodes',
      {
        kind: 'cluster',
        nodes: [
          { host: 'n1', port: 7000 },
          { host: 'n2', port: 7001 },
        ],
      },
      'n1:7000,n2:7001 (REDIS_CLUSTER_NODES)',
    ],
  ] as [string, RedisTopology, string][])(
    'rule: names %s and the setting that says so',
    (_case, topology, described) => {
      expect(describeRedis(topology)).toBe(described);
    },
  );
});

// The test machine's own Redis, and a port on loopback where nothing listens.
describe('pingRedis', () => {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

  it('rule: null when the server answers', async () => {
    expect(await pingRedis({ kind: 'standalone', url })).toBeNull();
  });

  it('rule: the connection error when nothing answers, at once (no retries)', async () => {
    const started = Date.now();
    expect(await pingRedis({ kind: 'standalone', url: 'redis://127.0.0.1:1' })).toMatch(/ECONNREFUSED 127\.0\.0\.1:1/);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('rule: Sentinel and Cluster clients are not checked beforehand', async () => {
    expect(await pingRedis({ kind: 'cluster', nodes: [{ host: '127.0.0.1', port: 1 }] })).toBeNull();
    expect(
      await pingRedis({ kind: 'sentinel', name: 'mymaster', sentinels: [{ host: '127.0.0.1', port: 1 }] }),
    ).toBeNull();
  });
});
