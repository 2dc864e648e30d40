import { setTimeout as sleep } from 'node:timers/promises';
import { CoalescedReads } from './coalesced-reads';

// A read that never settles fails fast instead of running into the mutation tester's timeout.
jest.setTimeout(2000);

describe('CoalescedReads', () => {
  function counting() {
    const calls: string[] = [];
    const reads = new CoalescedReads(async (key: string) => {
      calls.push(key);
      return `${key}@${calls.length}`;
    }, 10);
    return { calls, reads };
  }

  it('answers every asker of a key within the window with one read', async () => {
    const { calls, reads } = counting();
    const answers = await Promise.all(Array.from({ length: 500 }, () => reads.get('job-1')));
    expect(calls).toEqual(['job-1']);
    expect(new Set(answers)).toEqual(new Set(['job-1@1']));
  });

  it('reads each key on its own', async () => {
    const { calls, reads } = counting();
    await Promise.all([reads.get('job-1'), reads.get('job-2'), reads.get('job-1')]);
    expect(calls.sort()).toEqual(['job-1', 'job-2']);
  });

  it('reads again for an asker who comes after the shared read started', async () => {
    const { calls, reads } = counting();
    const first = reads.get('job-1');
    await sleep(20);
    const second = await reads.get('job-1');
    expect(await first).toBe('job-1@1');
    expect(second).toBe('job-1@2');
    expect(calls).toHaveLength(2);
  });

  it('passes a failed read to every asker, and the next ask reads afresh', async () => {
    let fail = true;
    const reads = new CoalescedReads(async () => {
      if (fail) throw new Error('database down');
      return 'row';
    }, 5);
    await expect(Promise.all([reads.get('a'), reads.get('a')])).rejects.toThrow('database down');
    fail = false;
    await expect(reads.get('a')).resolves.toBe('row');
  });
});
