import type { RedisNode, RedisTopology } from '@app/config';
import Redis from 'ioredis';

const listed = (nodes: RedisNode[]) => nodes.map((node) => `${node.host}:${node.port}`).join(',');

/** Where Redis is, with the setting that says so, for messages: never a user or password. */
export function describeRedis(topology: RedisTopology): string {
  switch (topology.kind) {
    case 'standalone': {
      const url = new URL(topology.url);
      return `${url.hostname}:${url.port || '6379'} (REDIS_URL)`;
    }
    case 'sentinel':
      return `master ${topology.name} via ${listed(topology.sentinels)} (REDIS_SENTINELS)`;
    case 'cluster':
      return `${listed(topology.nodes)} (REDIS_CLUSTER_NODES)`;
  }
}

/**
 * One PING over a fresh connection, no retries: the reason Redis cannot be used, or null when it
 * answers. Only a single server is checked before start-up; Sentinel and Cluster clients find
 * their servers themselves and report an outage through the reconnect schedule.
 */
export async function pingRedis(topology: RedisTopology): Promise<string | null> {
  if (topology.kind !== 'standalone') return null;
  let lastError: Error | undefined;
  const redis = new Redis(topology.url, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return (lastError ?? (error as Error)).message;
  } finally {
    redis.disconnect();
  }
}
