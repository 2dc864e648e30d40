import { useService } from './support/service';

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('bad input gets a 4xx problem, never a 500', () => {
  const running = useService();

  async function expectProblem(response: Response, status: number, code: string) {
    const body = await response.json();
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(body).toMatchObject({ status, code, type: `urn:mediagen:problem:${code}` });
    expect(typeof body.title).toBe('string');
    expect(typeof body.detail).toBe('string');
    return body;
  }

  it.each([
    ['a missing prompt', {}, 'prompt'],
    ['an empty prompt', { prompt: '' }, 'prompt'],
    ['a blank prompt', { prompt: ' \n\t ' }, 'prompt'],
    ['a prompt over 2000 characters', { prompt: 'x'.repeat(2001) }, 'prompt'],
    ['a prompt that is not a string', { prompt: 42 }, 'prompt'],
    ['a malformed model', { prompt: 'fox', model: 'not a model' }, 'model'],
    ['an input that is not an object', { prompt: 'fox', input: [1, 2] }, 'input'],
    ['an input over 16 KiB', { prompt: 'fox', input: { blob: 'x'.repeat(17 * 1024) } }, 'input'],
    ['an unknown top-level field', { prompt: 'fox', colour: 'red' }, 'colour'],
  ])('rejects %s with 400 naming the field', async (_case, body, field) => {
    const problem = await expectProblem(
      await running.client.post('/v1/generate', JSON.stringify(body)),
      400,
      'validation_failed',
    );
    expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });

  it.each([
    ['a width over 1024', { width: 2048 }, 'input.width'],
    ['zero outputs', { num_outputs: 0 }, 'input.num_outputs'],
    ['five outputs', { num_outputs: 5 }, 'input.num_outputs'],
    ['a fractional seed', { seed: 1.5 }, 'input.seed'],
  ])('rejects model input with %s before queueing', async (_case, input, field) => {
    const response = await running.client.post('/v1/generate', JSON.stringify({ prompt: 'fox', input }));
    const problem = await expectProblem(response, 400, 'invalid_input');
    expect(problem.errors).toEqual([expect.objectContaining({ field })]);
  });

  it('rejects a body that is not a JSON object', async () => {
    await expectProblem(await running.client.post('/v1/generate', '"just a string"'), 400, 'validation_failed');
    await expectProblem(await running.client.post('/v1/generate', '[]'), 400, 'validation_failed');
  });

  it('rejects malformed JSON with 400', async () => {
    await expectProblem(await running.client.post('/v1/generate', '{"prompt": "fox",'), 400, 'bad_request');
  });

  it('rejects an empty JSON body with 400', async () => {
    const response = await running.client.post('/v1/generate', '');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])(
    'rejects content type %s with 415',
    async (contentType) => {
      const response = await running.client.post('/v1/generate', 'prompt=fox', { 'content-type': contentType });
      await expectProblem(response, 415, 'unsupported_media_type');
    },
  );

  it('rejects a body over the size limit with 413', async () => {
    const body = JSON.stringify({ prompt: 'fox', input: { blob: 'x'.repeat(100 * 1024) } });
    await expectProblem(await running.client.post('/v1/generate', body, JSON_HEADERS), 413, 'payload_too_large');
  });

  it('answers 400 for a status id that is not a UUID and 404 for an unknown one', async () => {
    const invalid = await expectProblem(await running.client.getStatus('not-a-uuid'), 400, 'validation_failed');
    expect(invalid.errors).toEqual([expect.objectContaining({ field: 'id' })]);
    await expectProblem(await running.client.getStatus('9b2f9a43-3c3e-4f3a-9d51-0c8f0f3f6b7e'), 404, 'job_not_found');
  });

  it('answers 404 for unknown routes as a problem too', async () => {
    await expectProblem(await running.client.get('/v1/nothing-here'), 404, 'not_found');
  });

  describe('media paths cannot leave the storage root', () => {
    let jobId: string;

    beforeAll(async () => {
      jobId = (
        await running.client.waitUntilDone(
          (
            await running.client.submit({ prompt: 'paths', input: { width: 16, height: 16 } })
          ).id,
        )
      ).id;
    });

    it.each([
      '..%2F..%2Fpackage.json',
      '%2Fetc%2Fpasswd',
      '..',
      '%2E%2E',
      '%2E%2E%2F%2E%2E%2Fpackage.json',
      '.env',
      '0.png%00.txt',
      '..%5C..%5Cpackage.json',
      '1.png',
    ])('refuses %s with 404', async (file) => {
      const response = await running.client.rawGet(`/v1/media/${jobId}/${file}`);
      expect(response.status).toBe(404);
      expect(response.contentType).toMatch(/^application\/problem\+json/);
      expect(response.body).not.toContain('"name"');
    });

    it('refuses dot segments that escape the job folder', async () => {
      const response = await running.client.rawGet(`/v1/media/${jobId}/../../package.json`);
      expect(response.status).toBe(404);
      expect(response.body).not.toContain('"name"');
    });

    it('refuses a job id that is not a UUID with 400', async () => {
      await expectProblem(await running.client.get('/v1/media/..%2F..%2Fetc/passwd'), 400, 'validation_failed');
    });

    it('serves the real output of the same job', async () => {
      expect((await running.client.media(`http://media.test/v1/media/${jobId}/0.png`)).status).toBe(200);
    });
  });
});
