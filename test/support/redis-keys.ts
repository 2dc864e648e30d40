import { Redis } from 'ioredis';

/** Deletes every Redis key starting with `pattern`'s prefix in one DEL, as a FLUSHDB would; returns how many. */
export async function deleteKeys(
  pattern: string,
  url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys.length > 0 ? await redis.del(...keys) : 0;
  } finally {
    redis.disconnect();
  }
}
