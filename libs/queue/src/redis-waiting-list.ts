import type { Cluster, Redis } from 'ioredis';
import type { WaitingList } from './queue-positions';

/**
 * BullMQ's waiting list at `key`: jobs are pushed on its left and workers take them from its right,
 * so the front is the right end and a job's position is the number of entries to its right.
 * `connection` is asked at each read, so that none is opened before the first.
 */
export function redisWaitingList(connection: () => Redis | Cluster, key: string): WaitingList {
  return {
    front: (count) => connection().lrange(key, -count, -1),
    async find(ids, count) {
      const pipeline = connection().pipeline().llen(key);
      for (const id of ids) pipeline.lpos(key, id, 'RANK', -1, 'MAXLEN', count);
      type Reply = [Error | null, number | null];
      const [[lengthError, length], ...found] = (await pipeline.exec()) as [Reply, ...Reply[]];
      if (lengthError) throw lengthError;
      const positions = new Map<string, number>();
      found.forEach(([, index], at) => {
        if (typeof index === 'number') positions.set(ids[at], Number(length) - 1 - index);
      });
      return positions;
    },
  };
}
