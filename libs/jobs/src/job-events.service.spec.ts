import type { AppConfig } from '@app/config';
import type { JobsRepository } from '@app/database';
import type { JobMetrics } from '@app/observability';
import type { JobSignals } from '@app/queue';
import type { WebhookDispatcher } from '@app/webhooks';
import { JobEvents } from './job-events.service';
import { presentJob } from './job-presenter';
import { as, captureLogs, FakeJobsRepository, FakeSignals, FakeWebhooks } from './testing/fakes';

const BASE_URL = 'https://media.example';

describe('JobEvents', () => {
  let jobs: FakeJobsRepository;
  let signals: FakeSignals;
  let webhooks: FakeWebhooks;
  let finishedMetrics: unknown[];
  let events: JobEvents;

  beforeEach(() => {
    jobs = new FakeJobsRepository();
    signals = new FakeSignals();
    webhooks = new FakeWebhooks();
    finishedMetrics = [];
    events = new JobEvents(
      as<JobsRepository>(jobs),
      as<JobSignals>(signals),
      as<WebhookDispatcher>(webhooks),
      as<JobMetrics>({ jobFinished: (job: unknown) => finishedMetrics.push(job) }),
      as<AppConfig>({ publicBaseUrl: BASE_URL }),
    );
  });

  it('schedules the start webhook with the job as the API presents it', async () => {
    const job = jobs.add({ status: 'processing' });

    await events.started(job);

    expect(webhooks.scheduled).toEqual([{ jobId: 'job-1', event: 'start', payload: { ...presentJob(job, BASE_URL) } }]);
  });

  it('on a finish wakes the waiters, counts the job and schedules the completed webhook with the row as it is now', async () => {
    const job = jobs.add({ status: 'succeeded' });

    await events.finished('job-1');

    expect(signals.announced).toEqual(['job-1']);
    expect(finishedMetrics).toEqual([job]);
    expect(webhooks.scheduled).toEqual([
      { jobId: 'job-1', event: 'completed', payload: { ...presentJob(job, BASE_URL) } },
    ]);
  });

  it('still wakes the waiters for a job that no longer exists, and schedules nothing', async () => {
    await events.finished('job-1');

    expect(signals.announced).toEqual(['job-1']);
    expect(finishedMetrics).toEqual([]);
    expect(webhooks.scheduled).toEqual([]);
  });

  it('is best effort: a webhook that cannot be scheduled does not fail the caller (the row is the truth)', async () => {
    const job = jobs.add({ status: 'succeeded' });
    webhooks.scheduleFails = true;

    const logs = captureLogs();

    await expect(events.started(job)).resolves.toBeUndefined();
    await expect(events.finished('job-1')).resolves.toBeUndefined();

    expect(finishedMetrics).toHaveLength(1);
    expect(logs).toEqual([
      {
        level: 'error',
        fields: { jobId: 'job-1', err: new Error('Redis down') },
        message: 'Could not schedule a job event',
      },
      {
        level: 'error',
        fields: { jobId: 'job-1', err: new Error('Redis down') },
        message: 'Could not schedule a job event',
      },
    ]);
    jest.restoreAllMocks();
  });
});
