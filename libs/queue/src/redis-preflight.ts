import Redis from 'ioredis';

/** `host:port` of a Redis URL: never its user or password. */
export function redisAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '6379'}`;
}

/** One PING over a fresh connection, no retries: the reason Redis cannot be used, or null when it answers. */
export async function pingRedis(url: string): Promise<string | null> {
  let lastError: Error | undefined;
  const redis = new Redis(url, {
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
