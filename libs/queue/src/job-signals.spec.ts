import { Logger } from '@nestjs/common';
import { JobSignals } from './job-signals';
import type { QueueRedis } from './queue-redis';
import { FakePubSub } from './testing/queue-fakes';

const settled = (promise: Promise<unknown>) =>
  Promise.race([promise.then(() => true), new Promise((resolve) => setImmediate(() => resolve(false)))]);

describe('JobSignals', () => {
  let redis: FakePubSub;
  let signals: JobSignals;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    redis = new FakePubSub('pfx');
    signals = new JobSignals(redis as unknown as QueueRedis);
  });

  afterEach(() => jest.restoreAllMocks());

  describe('rule: signals travel on the deployment’s own channels', () => {
    it.each([
      ['announces a finished job', 'pfx:signals:finished', () => signals.announceFinished('j1')],
      ['asks for a cancel', 'pfx:signals:cancel', () => signals.requestCancel('j1')],
      ['announces a change', 'pfx:signals:changed', () => signals.announceChanged('j1')],
    ])('%s on %s', async (_, channel, publish) => {
      const listener = redis.open();
      await listener.subscribe(channel);
      const heard = jest.fn();
      listener.on('message', heard);

      await publish();

      expect(heard).toHaveBeenCalledWith(channel, 'j1');
    });
  });

  it('rule: publishing never throws; a failure is logged (waits time out and re-read PostgreSQL)', async () => {
    const down = new Error('Connection is closed.');
    redis.publishFailure = down;

    await expect(signals.announceFinished('j1')).resolves.toBeUndefined();
    await expect(signals.requestCancel('j2')).resolves.toBeUndefined();

    expect(warn).toHaveBeenCalledWith(
      { jobId: 'j1', channel: 'pfx:signals:finished', err: down },
      'Could not publish a job signal',
    );
    expect(warn).toHaveBeenCalledWith(
      { jobId: 'j2', channel: 'pfx:signals:cancel', err: down },
      'Could not publish a job signal',
    );
  });

  describe('rule: a cancel request reaches every handler once subscribed, and only cancels do', () => {
    it('calls each handler with the job id', async () => {
      const first = jest.fn();
      const second = jest.fn();
      await signals.onCancelRequested(first);
      await signals.onCancelRequested(second);
      // The same process also hears finishes and changes (an api that takes cancels): they are not cancels.
      await signals.watch('j2', jest.fn());

      await signals.requestCancel('j1');
      await signals.announceFinished('j2');
      await signals.announceChanged('j2');

      expect(first.mock.calls).toEqual([['j1']]);
      expect(second.mock.calls).toEqual([['j1']]);
    });

    it('a process that only takes cancels (a worker) listens to cancels only', async () => {
      expect(redis.subscribers).toHaveLength(0);

      await signals.onCancelRequested(jest.fn());

      expect(redis.subscribers).toHaveLength(1);
      expect([...redis.subscribers[0].channels]).toEqual(['pfx:signals:cancel']);
    });

    it('one connection, each channel subscribed once, on first use', async () => {
      await signals.onCancelRequested(jest.fn());
      await signals.nextFinish('j1');
      await signals.nextFinish('j2');
      await signals.onCancelRequested(jest.fn());

      expect(redis.subscribers).toHaveLength(1);
      expect(redis.subscribers[0].subscribeCalls).toEqual([['pfx:signals:cancel'], ['pfx:signals:finished']]);
    });
  });

  describe('rule: a wait for a job ends when that job is announced finished, or when stopped', () => {
    it('ends on the job’s announcement, not another job’s', async () => {
      const wait = await signals.nextFinish('j1');

      await signals.announceFinished('j2');
      expect(await settled(wait.done)).toBe(false);

      await signals.announceFinished('j1');
      expect(await settled(wait.done)).toBe(true);
    });

    it('ignores a cancel request and a change of the same job', async () => {
      await signals.onCancelRequested(jest.fn());
      await signals.watch('j2', jest.fn());
      const wait = await signals.nextFinish('j1');

      await signals.requestCancel('j1');
      await signals.announceChanged('j1');

      expect(await settled(wait.done)).toBe(false);
    });

    it('ends every wait on the same job at once', async () => {
      const [first, second] = [await signals.nextFinish('j1'), await signals.nextFinish('j1')];

      await signals.announceFinished('j1');

      expect(await settled(Promise.all([first.done, second.done]))).toBe(true);
    });

    it('stop() ends one wait and leaves the others on the job waiting', async () => {
      const [first, second] = [await signals.nextFinish('j1'), await signals.nextFinish('j1')];

      first.stop();
      expect(await settled(first.done)).toBe(true);
      expect(await settled(second.done)).toBe(false);

      await signals.announceFinished('j1');
      expect(await settled(second.done)).toBe(true);
    });

    it('a wait started after another was stopped still ends on the announcement', async () => {
      (await signals.nextFinish('j1')).stop();
      const later = await signals.nextFinish('j1');

      await signals.announceFinished('j1');

      expect(await settled(later.done)).toBe(true);
    });

    it('shutdown ends every wait', async () => {
      const waits = [await signals.nextFinish('j1'), await signals.nextFinish('j2')];

      signals.onApplicationShutdown();

      expect(await settled(Promise.all(waits.map((wait) => wait.done)))).toBe(true);
    });
  });

  it('rule: a failed subscription is logged, its connection dropped, and the next use tries again', async () => {
    const refused = new Error('connect ECONNREFUSED');
    redis.subscribeFailure = refused;

    await signals.onCancelRequested(jest.fn());

    expect(warn).toHaveBeenCalledWith({ err: refused }, 'Could not subscribe to job signals');
    expect(redis.subscribers[0].disconnected).toBe(true);

    redis.subscribeFailure = undefined;
    const handler = jest.fn();
    await signals.onCancelRequested(handler);
    await signals.requestCancel('j1');

    expect(redis.subscribers).toHaveLength(2);
    expect(redis.subscribers[1].disconnected).toBe(false);
    expect(handler).toHaveBeenCalledWith('j1');
  });

  it('rule: a connection that cannot even be opened is logged, and the next use tries again', async () => {
    const refused = new Error('connect ECONNREFUSED');
    redis.openFailure = refused;

    await signals.onCancelRequested(jest.fn());

    expect(warn).toHaveBeenCalledWith({ err: refused }, 'Could not subscribe to job signals');
    redis.openFailure = undefined;
    await signals.nextFinish('j1');
    expect(redis.subscribers).toHaveLength(1);
  });

  it('rule: an announcement for a job nobody waits for or watches is harmless', async () => {
    await signals.nextFinish('j1');
    await signals.watch('j1', jest.fn());

    await signals.announceFinished('j2');
    await signals.announceChanged('j2');

    expect(warn).not.toHaveBeenCalled();
  });

  describe('rule: a watcher hears each change and the end of its job, until it stops watching', () => {
    it('hears changes and the end of its own job, not other jobs or cancels', async () => {
      const listener = jest.fn();
      await signals.watch('j1', listener);

      await signals.announceChanged('j1');
      await signals.announceFinished('j1');
      await signals.announceChanged('j2');
      await signals.announceFinished('j2');
      await signals.requestCancel('j1');

      expect(listener).toHaveBeenCalledTimes(2);
    });

    it('every watcher of the job hears it; one that stopped does not', async () => {
      const [first, second] = [jest.fn(), jest.fn()];
      const unwatchFirst = await signals.watch('j1', first);
      await signals.watch('j1', second);

      unwatchFirst();
      await signals.announceChanged('j1');

      expect(first).not.toHaveBeenCalled();
      expect(second).toHaveBeenCalledTimes(1);
    });

    it('a late second unwatch of an old watcher leaves a newer watcher of the job in place', async () => {
      const unwatchOld = await signals.watch('j1', jest.fn());
      unwatchOld();
      const newer = jest.fn();
      await signals.watch('j1', newer);

      unwatchOld();
      await signals.announceChanged('j1');

      expect(newer).toHaveBeenCalledTimes(1);
    });

    it('only a process that watches subscribes to changes, once', async () => {
      await signals.onCancelRequested(jest.fn());
      expect([...redis.subscribers[0].channels]).not.toContain('pfx:signals:changed');

      await signals.watch('j1', jest.fn());
      await signals.watch('j2', jest.fn());

      expect([...redis.subscribers[0].channels]).toContain('pfx:signals:changed');
      expect(redis.subscribers).toHaveLength(1);
    });

    it('a failed subscription to changes is logged once, and the next watch connects again', async () => {
      await signals.onCancelRequested(jest.fn());
      const refused = new Error('connect ECONNREFUSED');
      redis.subscribeFailure = refused;

      await expect(signals.watch('j1', jest.fn())).resolves.toEqual(expect.any(Function));
      expect(warn.mock.calls).toEqual([[{ err: refused }, 'Could not subscribe to job signals']]);
      expect(redis.subscribers[0].disconnected).toBe(true);

      redis.subscribeFailure = undefined;
      const [listener, canceled] = [jest.fn(), jest.fn()];
      await signals.watch('j1', listener);
      await signals.onCancelRequested(canceled);
      await signals.announceChanged('j1');
      await signals.requestCancel('j1');
      expect(listener).toHaveBeenCalledTimes(1);
      expect(canceled).toHaveBeenCalledWith('j1');
      expect(redis.subscribers).toHaveLength(2);
    });

    it('without a subscription a watch still answers, and hears nothing', async () => {
      redis.subscribeFailure = new Error('connect ECONNREFUSED');
      const listener = jest.fn();

      await expect(signals.watch('j1', listener)).resolves.toEqual(expect.any(Function));
      await signals.announceChanged('j1');

      expect(listener).not.toHaveBeenCalled();
    });
  });
});
