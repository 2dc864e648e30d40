import { Readable } from 'node:stream';
import { authConfig } from '@app/config';
import { JobsService, MediaExpiredError, MediaNotFoundError } from '@app/jobs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AUTHORIZED, OWNER, startControllerApp } from '../../../../test/support/controller-app';
import { MediaController } from './media.controller';

const JOB_ID = '0b9f6c1e-2f0a-4c55-9d1b-6a3e8f2d7c10';
const SHA256 = 'ab'.repeat(32);
const URL = `/v1/media/${JOB_ID}/0.png`;

const output = (contentType = 'image/png', file = '0.png') => ({ file, contentType, bytes: 3, sha256: SHA256 });

describe('MediaController', () => {
  let app: NestFastifyApplication;
  const jobs = {
    findOutput: jest.fn(),
    findGrantedOutput: jest.fn(),
    directOutputUrl: jest.fn(),
    openOutput: jest.fn(),
  };

  beforeAll(async () => {
    app = await startControllerApp(MediaController, [
      { provide: JobsService, useValue: jobs },
      { provide: authConfig.KEY, useValue: { keyOwnersByHash: { digest: OWNER } } },
    ]);
  });

  afterAll(() => app.close());

  beforeEach(() => {
    jest.resetAllMocks();
    jobs.directOutputUrl.mockResolvedValue(null);
    jobs.openOutput.mockImplementation(async () => ({ stream: Readable.from([Buffer.from('png')]), bytes: 3 }));
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers: { ...AUTHORIZED, ...headers } });

  it('streams a stored output inline with its type, ETag and a private cache lifetime', async () => {
    jobs.findOutput.mockResolvedValue(output());
    const response = await get(URL);
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('png');
    expect(response.headers).toMatchObject({
      'content-type': 'image/png',
      'content-disposition': 'inline; filename="0.png"',
      'content-length': '3',
      etag: `"${SHA256}"`,
      'cache-control': 'private, max-age=31536000, immutable',
    });
    expect(jobs.findOutput).toHaveBeenCalledWith(JOB_ID, '0.png', OWNER);
  });

  it('serves a file to a capability token without an API key, leaving the check to the job domain', async () => {
    jobs.findGrantedOutput.mockResolvedValue(output());
    const response = await app.inject({ method: 'GET', url: `${URL}?token=granted` });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('png');
    expect(jobs.findGrantedOutput).toHaveBeenCalledWith(JOB_ID, '0.png', 'granted');
    expect(jobs.findOutput).not.toHaveBeenCalled();
  });

  it('answers a token that grants nothing as an unknown file', async () => {
    jobs.findGrantedOutput.mockRejectedValue(new MediaNotFoundError(JOB_ID, '0.png'));
    const response = await app.inject({ method: 'GET', url: `${URL}?token=forged` });
    expect(response.statusCode).toBe(404);
  });

  it('still asks for a key when the token is sent twice', async () => {
    const response = await app.inject({ method: 'GET', url: `${URL}?token=a&token=b` });
    expect(response.statusCode).toBe(401);
    expect(jobs.findGrantedOutput).not.toHaveBeenCalled();
  });

  it('serves an untrusted type as a download', async () => {
    jobs.findOutput.mockResolvedValue(output('text/html', '0.html'));
    const response = await get(`/v1/media/${JOB_ID}/0.html`);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect(response.headers['content-disposition']).toBe('attachment; filename="0.html"');
  });

  it('answers 304 to a matching If-None-Match, without opening the file', async () => {
    jobs.findOutput.mockResolvedValue(output());
    const response = await get(URL, { 'if-none-match': `"${SHA256}"` });
    expect(response.statusCode).toBe(304);
    expect(jobs.openOutput).not.toHaveBeenCalled();
  });

  it('redirects (302) to a direct storage URL when the storage offers one', async () => {
    jobs.findOutput.mockResolvedValue(output());
    jobs.directOutputUrl.mockResolvedValue('https://bucket.example/presigned');
    const response = await get(URL);
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('https://bucket.example/presigned');
    expect(response.headers['cache-control']).toBe('private, no-store');
    expect(jobs.openOutput).not.toHaveBeenCalled();
  });

  it('answers 404 for an output the job does not have', async () => {
    jobs.findOutput.mockRejectedValue(new MediaNotFoundError(JOB_ID, '9.png'));
    const response = await get(`/v1/media/${JOB_ID}/9.png`);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'media_not_found' });
  });

  it('answers 410 with outputsExpiredAt once retention removed the files', async () => {
    jobs.findOutput.mockRejectedValue(new MediaExpiredError(JOB_ID, new Date('2026-02-01T00:00:00.000Z')));
    const response = await get(URL);
    expect(response.statusCode).toBe(410);
    expect(response.json()).toMatchObject({ code: 'media_expired', outputsExpiredAt: '2026-02-01T00:00:00.000Z' });
  });
});
