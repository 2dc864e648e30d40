import { setTimeout as sleep } from 'node:timers/promises';
import { useService } from './support/service';
import { eventually } from './support/timing';

// GENERATOR_MAX_STARTS_PER_MINUTE holds back attempt starts across every worker, whichever
// generator runs: here the offline mock, so the limiter can be watched without Replicate.
describe('attempt start limit with the mock generator', () => {
  const running = useService({ GENERATOR: 'mock', GENERATOR_MAX_STARTS_PER_MINUTE: '2', MOCK_LATENCY_MS: '0' });

  it('starts 2 of 5 jobs at once and holds the rest back until the minute is over', async () => {
    const { service } = running;
    const submitted = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => service.client.submit({ prompt: `limited ${n}`, input: { width: 16, height: 16 } })),
    );
    const ids = submitted.map((job) => job.id);

    const jobsNow = () => Promise.all(ids.map((id) => service.client.job(id)));
    await eventually(async () =>
      (await jobsNow()).filter((job) => job.status === 'succeeded').length >= 2 ? true : undefined,
    );
    // Long enough for a worker with 8 free slots to have taken every job, were it not limited.
    await sleep(2000);
    const jobs = await jobsNow();

    expect(jobs.filter((job) => job.status === 'succeeded')).toHaveLength(2);
    expect(jobs.filter((job) => job.status === 'queued' && job.attempts === 0)).toHaveLength(3);
    expect(await service.queue.getRateLimitTtl()).toBeGreaterThan(50_000);
  });
});
