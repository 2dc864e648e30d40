import type { JobProgress } from '@app/client';
import { FakeReplicate } from './fakes/fake-replicate';
import { jobOf, openEventStream, type StreamEvent } from './support/event-stream';
import { useService } from './support/service';

const TOKEN = 'r8_progress-token-never-shown';
const POLLS = 40;

// The fake logs a tqdm bar on each of 40 polls 60 ms apart: about 2.4 s of processing.
describe('progress of a Replicate prediction, read from its logs', () => {
  const fake = new FakeReplicate({ token: TOKEN });
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  // GENERATOR unset: a Replicate token alone selects the Replicate generator.
  const running = useService(
    fake.serviceSettings({ GENERATOR: '', REPLICATE_POLL_INTERVAL_MS: '60', REPLICATE_PREDICTION_TIMEOUT_MS: '20000' }),
  );

  it('follows the tqdm bar of the prediction while it processes', async () => {
    fake.script('a slow painting', {
      processingPolls: POLLS,
      outcomes: [{ status: 'succeeded', output: ['{{file:default.png}}'] }],
    });
    const { client } = running.service;
    const job = await client.submit({ prompt: 'a slow painting' });
    const stream = await openEventStream(client, job.id);
    await stream.ended;

    const progress = stream.events
      .filter((event) => event.event === 'progress')
      .map((event) => event.data as JobProgress);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    const tqdmPercents = Array.from({ length: POLLS + 1 }, (_, done) => Math.floor((100 * done) / POLLS));
    for (const update of progress) {
      expect(tqdmPercents).toContain(update.percent);
      expect(update.message).toMatch(new RegExp(`^\\d+%\\|[█ ]{10}\\| \\d+/${POLLS} \\[`));
    }
    const percents = progress.map((update) => update.percent as number);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.some((percent) => percent > 0 && percent < 100)).toBe(true);
    expect(jobOf(stream.events.at(-1) as StreamEvent)).toMatchObject({ status: 'succeeded', progress: null });
    expect(JSON.stringify(stream.events)).not.toContain(TOKEN);
  });
});
