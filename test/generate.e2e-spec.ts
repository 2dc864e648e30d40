import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';
import { useService } from './support/service';

describe('submit → status → media', () => {
  const running = useService();

  it('accepts a prompt with 202, a Location and a queued job resource', async () => {
    const response = await running.client.post('/v1/generate', JSON.stringify({ prompt: 'a red fox' }));
    const job = await response.json();

    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe(`/v1/jobs/${job.id}`);
    expect(job).toMatchObject({
      status: 'queued',
      prompt: 'a red fox',
      model: 'mock',
      input: {},
      attempts: 0,
      maxAttempts: 3,
      error: null,
      outputs: [],
      startedAt: null,
      completedAt: null,
    });
    expect(job.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(job.createdAt).toISOString()).toBe(job.createdAt);
  });

  it('runs the job to succeeded and serves PNGs that decode at the requested size', async () => {
    const submitted = await running.client.submit({
      prompt: 'a lighthouse at dusk',
      model: 'acme/painter:v2',
      input: { width: 96, height: 64, num_outputs: 2, seed: 7 },
    });
    const job = await running.client.waitUntilDone(submitted.id);

    expect(job).toMatchObject({ status: 'succeeded', attempts: 1, error: null, model: 'acme/painter:v2' });
    expect(job.startedAt).not.toBeNull();
    expect(job.completedAt).not.toBeNull();
    expect(job.outputs).toHaveLength(2);
    for (const [index, output] of job.outputs.entries()) {
      expect(output.url).toBe(`http://media.test/v1/media/${job.id}/${index}.png`);
      const response = await running.client.media(output.url);
      const body = Buffer.from(await response.arrayBuffer());
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      expect(Number(response.headers.get('content-length'))).toBe(output.bytes);
      expect(response.headers.get('etag')).toBe(`"${output.sha256}"`);
      expect(response.headers.get('cache-control')).toContain('immutable');
      expect(createHash('sha256').update(body).digest('hex')).toBe(output.sha256);
      const png = PNG.sync.read(body);
      expect([png.width, png.height]).toEqual([96, 64]);
    }
    expect(job.outputs[0].sha256).not.toBe(job.outputs[1].sha256);
  });

  it('answers 304 to a conditional request with the current ETag', async () => {
    const job = await running.client.waitUntilDone(
      (await running.client.submit({ prompt: 'cached', input: { width: 32, height: 32 } })).id,
    );
    const [output] = job.outputs;

    const response = await running.client.media(output.url, { 'if-none-match': `"${output.sha256}"` });

    expect(response.status).toBe(304);
  });

  it('handles 50 concurrent submissions, all succeeding', async () => {
    const submissions = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        running.client.submit({ prompt: `fox number ${index}`, input: { width: 32, height: 32 } }),
      ),
    );
    expect(new Set(submissions.map((job) => job.id)).size).toBe(50);

    const finished = await Promise.all(submissions.map((job) => running.client.waitUntilDone(job.id, 45_000)));

    expect(finished.map((job) => job.status)).toEqual(Array(50).fill('succeeded'));
  });
});
