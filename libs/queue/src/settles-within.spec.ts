import { settlesWithin } from './settles-within';

describe('settlesWithin', () => {
  afterEach(() => jest.useRealTimers());

  it('rule: work that settles in time answers true', async () => {
    await expect(settlesWithin(Promise.resolve('done'), 1000)).resolves.toBe(true);
  });

  it('rule: work still running at the deadline answers false, without waiting for it', async () => {
    jest.useFakeTimers();
    const answer = settlesWithin(new Promise(() => undefined), 500);

    await jest.advanceTimersByTimeAsync(499);
    let settled = false;
    void answer.then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);

    await jest.advanceTimersByTimeAsync(1);
    await expect(answer).resolves.toBe(false);
  });

  it('rule: work that fails in time rejects with its error', async () => {
    await expect(settlesWithin(Promise.reject(new Error('broken')), 1000)).rejects.toThrow('broken');
  });

  it('rule: the deadline timer is cleared once the answer is known', async () => {
    jest.useFakeTimers();

    await settlesWithin(Promise.resolve(), 60_000);

    expect(jest.getTimerCount()).toBe(0);
  });
});
