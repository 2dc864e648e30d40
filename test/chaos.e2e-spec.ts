import { formatReport, isClean, runChaos } from './chaos/chaos';

// A smaller `npm run chaos`: the api and two workers as separate processes (built into dist/ by
// `npm test`'s pretest step), 50 jobs, a worker killed with SIGKILL and every key of the file's
// Redis prefix deleted (its queue data lost).
describe('chaos: crashes and data loss while jobs run', () => {
  it('ends every accepted job exactly once, with exactly its outputs', async () => {
    const report = await runChaos({
      jobs: 50,
      workers: 2,
      latencyMs: 150,
      failureRate: 0.1,
      faults: { sigkill: true, sigterm: true, redisDataLoss: true, cutDatabase: false },
      postgresUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
      database: `mediagen_chaos_${process.env.JEST_WORKER_ID ?? '0'}`,
      redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      queuePrefix: process.env.QUEUE_PREFIX as string,
      settleTimeoutMs: 60_000,
    });

    expect(formatReport(report)).toContain('verdict  PASS');
    expect(isClean(report)).toBe(true);
    expect(report.submitted).toBe(50);
  }, 120_000);
});
