import type { AppConfig } from '@app/config';
import type { JobMetrics } from '@app/observability';
import type { JobSignals } from '@app/queue';
import type { WebhookDispatcher } from '@app/webhooks';
import { JobEvents } from './job-events.service';
import { presentJob } from './job-presenter';
import { MediaCapabilities } from './media-capabilities';
import { PredictionPresenter } from './prediction-presenter';
import { as, captureLogs, FakeSignals, FakeWebhooks, jobRow } from './testing/fakes';

const BASE_URL = 'https://media.example';
const predictions = new PredictionPresenter({ publicBaseUrl: BASE_URL }, new MediaCapabilities({ secrets: [] }));

describe('JobEvents', () => {
  let signals: FakeSignals;
  let webhooks: FakeWebhooks;
  let finishedMetrics: unknown[];
  let events: JobEvents;

  beforeEach(() => {
    signals = new FakeSignals();
    webhooks = new FakeWebhooks();
    finishedMetrics = [];
    events = new JobEvents(
      as<JobSignals>(signals),
      as<WebhookDispatcher>(webhooks),
      as<JobMetrics>({ jobFinished: (job: unknown) => finishedMetrics.push(job) }),
      as<AppConfig>({ publicBaseUrl: BASE_URL }),
      predictions,
    );
  });

  it('schedules the start webhook with the job as the API presents it', async () => {
    const job = jobRow({ status: 'processing' });

    await events.started(job);

    expect(webhooks.scheduled).toEqual([{ jobId: 'job-1', event: 'start', payload: { ...presentJob(job, BASE_URL) } }]);
  });

  it('on a finish wakes the waiters, counts the job and schedules the completed webhook with the row that ended it', async () => {
    const job = jobRow({ status: 'succeeded' });

    await events.finished(job);

    expect(signals.announced).toEqual(['job-1']);
    expect(finishedMetrics).toEqual([job]);
    expect(webhooks.scheduled).toEqual([
      { jobId: 'job-1', event: 'completed', payload: { ...presentJob(job, BASE_URL) } },
    ]);
  });

  it('gives a job made through the Replicate-compatible routes its webhooks as the prediction', async () => {
    const webhook = { url: 'https://hooks.example/r', events: ['start', 'completed'], payload: 'prediction' as const };
    const running = jobRow({ status: 'processing', webhook });
    const done = jobRow({ status: 'succeeded', webhook });

    await events.started(running);
    await events.finished(done);

    expect(webhooks.scheduled).toEqual([
      { jobId: 'job-1', event: 'start', payload: { ...predictions.present(running) } },
      { jobId: 'job-1', event: 'completed', payload: { ...predictions.present(done) } },
    ]);
    expect(webhooks.scheduled[1].payload).toMatchObject({ status: 'succeeded', urls: expect.any(Object) });
  });

  it("on a change wakes the job's watchers only: no end announced, nothing counted, no webhook", async () => {
    await events.changed('job-1');

    expect(signals.announcedChanged).toEqual(['job-1']);
    expect(signals.announced).toEqual([]);
    expect(finishedMetrics).toEqual([]);
    expect(webhooks.scheduled).toEqual([]);
  });

  it('is best effort: a webhook that cannot be scheduled does not fail the caller (the row is the truth)', async () => {
    const job = jobRow({ status: 'succeeded' });
    webhooks.scheduleFails = true;

    const logs = captureLogs();

    await expect(events.started(job)).resolves.toBeUndefined();
    await expect(events.finished(job)).resolves.toBeUndefined();

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
