import type { RedisTopology } from '@app/config';
import { RedisConnection } from 'bullmq';
import { createRedis, redisConnectionOptions } from './queue-redis';

/** What the specs read of a built client (a Redis or a Cluster). */
interface BuiltClient {
  isCluster?: boolean;
  options: object & { redisOptions?: object; retryStrategy?: (attempt: number) => unknown };
  disconnect(): void;
}

/** The client BullMQ builds from our options (after merging in its defaults, as it does). */
function bullClient(topology: RedisTopology): BuiltClient {
  const options = { host: '127.0.0.1', port: 6379, ...redisConnectionOptions(topology), lazyConnect: true };
  const factory = RedisConnection.clientFactory;
  if (!factory) throw new Error('redisConnectionOptions installed no client factory');
  return factory(options) as unknown as BuiltClient;
}

describe('Redis connections', () => {
  const opened: BuiltClient[] = [];
  const keep = <T extends BuiltClient>(client: T): T => {
    opened.push(client);
    return client;
  };
  afterEach(() => {
    for (const client of opened.splice(0)) client.disconnect();
  });

  it("gives BullMQ a client for REDIS_URL's server and database, not its default 127.0.0.1:6379", () => {
    const client = keep(bullClient({ kind: 'standalone', url: 'redis://:secret@10.1.2.3:6390/4' }));
    expect(client.isCluster).toBeFalsy();
    expect(client.options).toMatchObject({ host: '10.1.2.3', port: 6390, db: 4, password: 'secret' });
  });

  it('gives BullMQ a Cluster client seeded with REDIS_CLUSTER_NODES', () => {
    const client = keep(bullClient({ kind: 'cluster', nodes: [{ host: '10.0.0.1', port: 7000 }], password: 'secret' }));
    expect(client.isCluster).toBe(true);
    expect(client.options.redisOptions).toMatchObject({ password: 'secret', lazyConnect: true });
  });

  it('gives BullMQ a client that asks the Sentinels for the master', () => {
    const topology: RedisTopology = {
      kind: 'sentinel',
      sentinels: [{ host: '10.0.0.5', port: 26379 }],
      name: 'mymaster',
      password: 'secret',
      sentinelPassword: 'sentinel-secret',
    };
    const client = keep(bullClient(topology));
    expect(client.options).toMatchObject({
      sentinels: [{ host: '10.0.0.5', port: 26379 }],
      name: 'mymaster',
      password: 'secret',
      sentinelPassword: 'sentinel-secret',
    });
  });

  it("builds our own connections the same way, with the caller's options", () => {
    const client = keep(
      createRedis(
        { kind: 'standalone', url: 'redis://10.1.2.3:6390' },
        { lazyConnect: true },
      ) as unknown as BuiltClient,
    );
    expect(client.options).toMatchObject({ host: '10.1.2.3', port: 6390, lazyConnect: true });
    expect(client.options.retryStrategy?.(1)).toBe(500);
  });

  it('leaves options without a topology (other code) to BullMQ as usual', () => {
    redisConnectionOptions({ kind: 'standalone', url: 'redis://127.0.0.1:6379' });
    const client = keep(
      RedisConnection.clientFactory?.({ host: '10.9.9.9', port: 6400, lazyConnect: true }) as unknown as BuiltClient,
    );
    expect(client.options).toMatchObject({ host: '10.9.9.9', port: 6400 });
  });
});
