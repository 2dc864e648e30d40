import {
  CLOCK_SKEW_MS,
  type ListHead,
  POSITIONS_KNOWN,
  type QueuedJob,
  QueuePositions,
  SNAPSHOT_TTL_MS,
  type WaitingList,
} from './queue-positions';

/** A waiting list held in memory, front last, that counts its reads. */
class FakeWaitingList implements WaitingList {
  ids: string[] = [];
  frontReads: number[] = [];
  headReads = 0;
  finds: string[][] = [];
  frontWith?: () => Promise<string[]>;
  headWith?: () => Promise<ListHead>;
  findWith?: () => Promise<Map<string, number>>;

  async front(count: number): Promise<{ ids: string[]; length: number }> {
    this.frontReads.push(count);
    return { ids: this.frontWith ? await this.frontWith() : this.ids.slice(-count), length: this.ids.length };
  }

  async head(): Promise<ListHead> {
    this.headReads += 1;
    if (this.headWith) return this.headWith();
    return { front: this.ids.at(-1), length: this.ids.length };
  }

  async find(ids: readonly string[], count: number): Promise<Map<string, number>> {
    this.finds.push([...ids]);
    if (this.findWith) return this.findWith();
    const front = this.ids.slice(-count);
    const found = new Map<string, number>();
    for (const id of ids) if (front.includes(id)) found.set(id, front.length - 1 - front.indexOf(id));
    return found;
  }
}

const T0 = Date.parse('2026-11-30T12:00:00Z');

describe('QueuePositions', () => {
  let list: FakeWaitingList;
  let now: number;
  let errors: unknown[];
  let positions: QueuePositions;
  /** A job stored `ageMs` before the clock's start. */
  const job = (id: string, ageMs = 60_000): QueuedJob => ({ id, createdAt: new Date(T0 - ageMs) });

  beforeEach(() => {
    list = new FakeWaitingList();
    now = T0;
    errors = [];
    positions = new QueuePositions(
      list,
      (error) => errors.push(error),
      () => now,
    );
  });

  afterEach(() => jest.useRealTimers());

  it('rule: a position is how many jobs are nearer the front, read from the front of the list', async () => {
    list.ids = ['c', 'b', 'a'];
    expect(await positions.of([job('a'), job('b'), job('c')])).toEqual(
      new Map([
        ['a', 0],
        ['b', 1],
        ['c', 2],
      ]),
    );
    expect(list.frontReads).toEqual([POSITIONS_KNOWN]);
  });

  it('rule: nothing is read for no jobs', async () => {
    expect(await positions.of([])).toEqual(new Map());
    expect(list.frontReads).toEqual([]);
  });

  it('rule: one read answers for half a second, then the list is read again', async () => {
    list.ids = ['b', 'a'];
    await positions.of([job('a')]);
    list.ids = ['b'];
    now = T0 + SNAPSHOT_TTL_MS - 1;
    expect(await positions.of([job('a')])).toEqual(new Map([['a', 0]]));
    expect(list.frontReads).toHaveLength(1);
    now = T0 + SNAPSHOT_TTL_MS;
    expect(await positions.of([job('a'), job('b')])).toEqual(new Map([['b', 0]]));
    expect(list.frontReads).toHaveLength(2);
  });

  it('rule: after half a second a list whose head is unchanged is not read again: the last read answers, as of then', async () => {
    list.ids = ['b', 'a'];
    await positions.of([job('a')]);
    now = T0 + SNAPSHOT_TTL_MS;
    const storedBeforeTheCheck = job('gone', CLOCK_SKEW_MS - SNAPSHOT_TTL_MS);

    expect(await positions.of([job('a'), job('b'), storedBeforeTheCheck])).toEqual(
      new Map([
        ['a', 0],
        ['b', 1],
      ]),
    );
    expect(list.frontReads).toHaveLength(1);
    expect(list.headReads).toBe(1);
    expect(list.finds).toEqual([]);
  });

  it('rule: a job taken from the front or added at the back since the read has the list read again', async () => {
    list.ids = ['b', 'a'];
    await positions.of([job('a')]);
    list.ids = ['c', 'b', 'a'];
    now = T0 + SNAPSHOT_TTL_MS;
    expect(await positions.of([job('c')])).toEqual(new Map([['c', 2]]));
    list.ids = ['c', 'b'];
    now = T0 + 2 * SNAPSHOT_TTL_MS;
    expect(await positions.of([job('c')])).toEqual(new Map([['c', 1]]));
    expect(list.frontReads).toHaveLength(3);
    expect(list.headReads).toBe(2);
  });

  it('rule: a job taken and another added since the read (as many waiting as before) has the list read again', async () => {
    list.ids = ['c', 'b', 'a'];
    await positions.of([job('a')]);
    list.ids = ['d', 'c', 'b'];
    now = T0 + SNAPSHOT_TTL_MS;
    expect(await positions.of([job('b'), job('c'), job('d')])).toEqual(
      new Map([
        ['b', 0],
        ['c', 1],
        ['d', 2],
      ]),
    );
    expect(list.frontReads).toHaveLength(2);
  });

  it('rule: questions asked while the list is being read share that read', async () => {
    list.ids = ['b', 'a'];
    const answers = await Promise.all([positions.of([job('a')]), positions.of([job('b')])]);
    expect(answers).toEqual([new Map([['a', 0]]), new Map([['b', 1]])]);
    expect(list.frontReads).toHaveLength(1);
  });

  it('rule: a job stored since the read (allowing for clock skew) is looked up on its own; an older one missing is not waiting', async () => {
    list.ids = ['old', 'a'];
    await positions.of([job('a')]);
    list.ids = ['new', 'skewed', 'old', 'a'];
    const answer = await positions.of([
      job('a'),
      job('new', -1),
      job('skewed', CLOCK_SKEW_MS - 1),
      job('gone', CLOCK_SKEW_MS),
    ]);
    expect(answer).toEqual(
      new Map([
        ['a', 0],
        ['new', 3],
        ['skewed', 2],
      ]),
    );
    expect(list.finds).toEqual([['new', 'skewed']]);
  });

  it('rule: jobs found in the read cost no lookup', async () => {
    list.ids = ['b', 'a'];
    await positions.of([job('a', -5), job('b', -5)]);
    expect(list.finds).toEqual([]);
  });

  it('rule: without Redis every position is unknown, the error is reported, and the next question asks again', async () => {
    const down = new Error('Connection is closed.');
    list.frontWith = () => Promise.reject(down);
    expect(await positions.of([job('a')])).toEqual(new Map());
    expect(errors).toEqual([down]);
    list.frontWith = undefined;
    list.ids = ['a'];
    expect(await positions.of([job('a')])).toEqual(new Map([['a', 0]]));
    expect(list.frontReads).toHaveLength(2);
  });

  it('rule: when the head cannot be read every position is unknown, the error is reported, and the next question asks again', async () => {
    list.ids = ['b', 'a'];
    await positions.of([job('a')]);
    const down = new Error('Connection is closed.');
    list.headWith = () => Promise.reject(down);
    now = T0 + SNAPSHOT_TTL_MS;
    expect(await positions.of([job('a')])).toEqual(new Map());
    expect(errors).toEqual([down]);
    list.headWith = undefined;
    expect(await positions.of([job('a')])).toEqual(new Map([['a', 0]]));
    expect(list.headReads).toBe(2);
    expect(list.frontReads).toHaveLength(1);
  });

  it('rule: a failed lookup of new jobs leaves them unknown and keeps the others', async () => {
    list.ids = ['a'];
    const down = new Error('Connection is closed.');
    list.findWith = () => Promise.reject(down);
    expect(await positions.of([job('a'), job('new', -1)])).toEqual(new Map([['a', 0]]));
    expect(errors).toEqual([down]);
  });

  it('rule: Redis is waited for 250 ms at most', async () => {
    jest.useFakeTimers({ now: T0 });
    list.frontWith = () => new Promise(() => undefined);
    const answer = positions.of([job('a')]);
    await jest.advanceTimersByTimeAsync(250);
    expect(await answer).toEqual(new Map());
    expect(errors).toEqual([]);
  });
});
