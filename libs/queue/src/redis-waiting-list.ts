import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import type { WaitingList } from './queue-positions';

/**
 * BullMQ's waiting list at `key`: jobs are pushed on its left and workers take them from its right,
 * so the front is the right end and a job's position is the number of entries to its right.
 * `connection` is asked at each read, so that none is opened before the first.
 */
export function redisWaitingList(connection: () => Redis | Cluster, key: string): WaitingList {
  return {
    async front(count) {
      const [ids, length] = await readTogether(connection().multi().lrange(key, -count, -1).llen(key));
      return { ids: ids as string[], length: length as number };
    },
    async head() {
      const [front, length] = await readTogether(connection().multi().lindex(key, -1).llen(key));
      return { front: (front as string | null) ?? undefined, length: length as number };
    },
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

/** The replies of `commands`, run as one transaction so they see the list in one state; the first error is thrown. */
async function readTogether(commands: ChainableCommander): Promise<unknown[]> {
  // exec() answers null only for a transaction that WATCHed a key: this one watches none.
  const replies = (await commands.exec()) as [Error | null, unknown][];
  const failed = replies.find(([error]) => error);
  if (failed) throw failed[0];
  return replies.map(([, reply]) => reply);
}
