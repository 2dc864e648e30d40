import { useService } from './support/service';

// The mock generator fails on request: `fail_first_attempts: N` fails the first N attempts with a
// transient error, `fail_permanently: true` fails every attempt with a permanent one.
describe('retries', () => {
  const running = useService();

  it('retries transient failures and succeeds on the third attempt', async () => {
    const submitted = await running.client.submit({
      prompt: 'stubborn',
      input: { width: 16, height: 16, fail_first_attempts: 2 },
    });

    const job = await running.client.waitUntilDone(submitted.id);

    expect(job).toMatchObject({ status: 'succeeded', attempts: 3, maxAttempts: 3, error: null });
    expect(job.outputs).toHaveLength(1);
  });

  it('fails with the last error once every attempt failed transiently', async () => {
    const submitted = await running.client.submit({ prompt: 'hopeless', input: { fail_first_attempts: 10 } });

    const job = await running.client.waitUntilDone(submitted.id);

    expect(job).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: { code: 'upstream_unavailable', message: 'The mock generator failed attempt 3', retryable: true },
      outputs: [],
    });
    expect(job.completedAt).not.toBeNull();
  });

  it('fails at once, without retrying, on a permanent error', async () => {
    const submitted = await running.client.submit({ prompt: 'doomed', input: { fail_permanently: true } });

    const job = await running.client.waitUntilDone(submitted.id);

    expect(job).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'prediction_failed', retryable: false },
    });
  });

  it('shows the attempts made and the last error while a retry is pending', async () => {
    await running.service.queue.pause();
    const submitted = await running.client.submit({ prompt: 'patience', input: { fail_first_attempts: 1 } });
    await running.service.queue.resume();

    const pending = await running.client.waitFor(
      submitted.id,
      (job) => job.error !== null || job.status === 'succeeded',
      10_000,
      'a recorded failure',
    );
    const done = await running.client.waitUntilDone(submitted.id);

    expect(pending).toMatchObject({ attempts: 1, error: { code: 'upstream_unavailable', retryable: true } });
    expect(['queued', 'processing']).toContain(pending.status);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, error: null });
  });
});
