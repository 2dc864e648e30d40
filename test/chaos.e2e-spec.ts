import { formatReport, isClean, runChaos } from './chaos/chaos';

// A smaller `npm run chaos`: the api and two workers as separate processes (built into dist/ by
// `npm test`'s pretest step), 50 jobs, a worker killed with SIGKILL and the queue's Redis flushed.
describe('chaos: crashes and data loss while jobs run', () => {
  it('ends every accepted job exactly once, with exactly its outputs', async () => {
    const report = await runChaos({
      jobs: 50,
      workers: 2,
      latencyMs: 150,
      failureRate: 0.1,
      faults: { sigkill: true, sigterm: true, redisFlush: true, cutDatabase: false },
      postgresUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
      database: `mediagen_chaos_${process.env.JEST_WORKER_ID ?? '0'}`,
      redisUrl: 'redis://127.0.0.1:6379/8',
      settleTimeoutMs: 60_000,
    });

    expect(formatReport(report)).toContain('verdict  PASS');
    expect(isClean(report)).toBe(true);
    expect(report.submitted).toBe(50);
  }, 120_000);
});
