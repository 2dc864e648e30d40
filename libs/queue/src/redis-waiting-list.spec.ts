import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { WaitingList } from './queue-positions';
import { redisWaitingList } from './redis-waiting-list';

// The real Redis of the test machine, under a key of this spec's own.
describe('redisWaitingList', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
  const key = `test-waiting-list:${randomUUID()}:wait`;
  let list: WaitingList;

  beforeEach(async () => {
    list = redisWaitingList(() => redis, key);
    await redis.del(key);
    // As BullMQ adds jobs: each pushed on the left, so `first` is at the front (the right end).
    await redis.lpush(key, 'first', 'second', 'third');
  });

  afterAll(async () => {
    await redis.del(key);
    redis.disconnect();
  });

  it('rule: the front is the end workers take from, given last, with how many wait in all', async () => {
    expect(await list.front(10)).toEqual({ ids: ['third', 'second', 'first'], length: 3 });
    expect(await list.front(2)).toEqual({ ids: ['second', 'first'], length: 3 });
  });

  it('rule: the head is the job at the front and how many wait; an empty list has none at its front', async () => {
    expect(await list.head()).toEqual({ front: 'first', length: 3 });
    await redis.del(key);
    expect(await list.head()).toEqual({ front: undefined, length: 0 });
  });

  it('rule: a job found is given the number of jobs nearer the front; one missing is left out', async () => {
    expect(await list.find(['third', 'first', 'missing'], 10)).toEqual(
      new Map([
        ['third', 2],
        ['first', 0],
      ]),
    );
  });

  it('rule: only the `count` jobs nearest the front are looked through', async () => {
    expect(await list.find(['third', 'second'], 2)).toEqual(new Map([['second', 1]]));
  });

  it('rule: a list that cannot be read is an error, not an empty answer', async () => {
    await redis.del(key);
    await redis.set(key, 'not a list');
    await expect(list.find(['first'], 10)).rejects.toThrow(/WRONGTYPE/);
    await expect(list.front(10)).rejects.toThrow(/WRONGTYPE/);
    await expect(list.head()).rejects.toThrow(/WRONGTYPE/);
  });
});
