import { JOB_STATUSES } from '@app/database';
import { MediaCapabilities } from './media-capabilities';
import {
  PREDICTION_STATUS,
  PredictionPresenter,
  predictionMetrics,
  presentPrediction,
  shapeOutput,
  splitModelReference,
} from './prediction-presenter';
import { jobRow } from './testing/fakes';

const BASE = 'https://media.example';
const links = { publicBaseUrl: BASE, fileUrl: (jobId: string, file: string) => `${BASE}/f/${jobId}/${file}` };
const output = (file: string) => ({ file, contentType: 'image/png', bytes: 3, sha256: 'abc' });

describe('PREDICTION_STATUS', () => {
  it('names every job status as Replicate does', () => {
    expect(JOB_STATUSES.map((status) => PREDICTION_STATUS[status])).toEqual([
      'starting',
      'processing',
      'succeeded',
      'failed',
      'canceled',
    ]);
  });
});

describe('splitModelReference', () => {
  it('splits a pinned reference and leaves the version null otherwise', () => {
    expect(splitModelReference('acme/painter:v1')).toEqual({ model: 'acme/painter', version: 'v1' });
    expect(splitModelReference('acme/painter')).toEqual({ model: 'acme/painter', version: null });
  });
});

describe('shapeOutput', () => {
  const urls = ['u0', 'u1'];

  it('gives a single output as a URL and a list as a list, as the model did', () => {
    expect(shapeOutput({ $output: 0 }, ['u0'])).toBe('u0');
    expect(shapeOutput([{ $output: 0 }], ['u0'])).toEqual(['u0']);
    expect(shapeOutput([{ $output: 0 }, { $output: 1 }], urls)).toEqual(urls);
  });

  it('puts URLs back into objects, keeping the other values', () => {
    const shape = { images: [{ $output: 1 }], cover: { url: { $output: 0 }, seed: 4 }, nsfw: false, note: null };

    expect(shapeOutput(shape, urls)).toEqual({
      images: ['u1'],
      cover: { url: 'u0', seed: 4 },
      nsfw: false,
      note: null,
    });
  });

  it('does not take an object with more than the slot key, or a non-numeric slot, for a slot', () => {
    expect(shapeOutput([{ $output: 0, extra: 1 }, { $output: '0' }], urls)).toEqual([
      { $output: 0, extra: 1 },
      { $output: '0' },
    ]);
  });

  it('gives a slot past the outputs as null', () => {
    expect(shapeOutput([{ $output: 0 }, { $output: 5 }], ['u0'])).toEqual(['u0', null]);
  });

  it('keeps an output without media as it was', () => {
    expect(shapeOutput({ caption: 'a cat' }, ['u0'])).toEqual({ caption: 'a cat' });
  });

  it('without a recorded shape gives one output as a URL, several as a list', () => {
    expect(shapeOutput(null, ['u0'])).toBe('u0');
    expect(shapeOutput(null, urls)).toEqual(urls);
  });

  it('gives null without outputs (none yet, or removed by retention)', () => {
    expect(shapeOutput({ $output: 0 }, [])).toBeNull();
    expect(shapeOutput(null, [])).toBeNull();
  });
});

describe('predictionMetrics', () => {
  const createdAt = new Date('2026-12-01T10:00:00.000Z');

  it('has predict_time from start to end and total_time from creation to end, in seconds', () => {
    expect(
      predictionMetrics({
        createdAt,
        startedAt: new Date('2026-12-01T10:00:01.500Z'),
        completedAt: new Date('2026-12-01T10:00:04.250Z'),
      }),
    ).toEqual({ predict_time: 2.75, total_time: 4.25 });
  });

  it('has nothing while running, and only total_time for a job canceled before it started', () => {
    expect(predictionMetrics({ createdAt, startedAt: new Date(createdAt), completedAt: null })).toEqual({});
    expect(predictionMetrics({ createdAt, startedAt: null, completedAt: new Date('2026-12-01T10:00:02Z') })).toEqual({
      total_time: 2,
    });
  });
});

describe('presentPrediction', () => {
  const created = new Date('2026-12-01T10:00:00.000Z');
  const started = new Date('2026-12-01T10:00:01.000Z');
  const completed = new Date('2026-12-01T10:00:03.000Z');

  it('presents a succeeded job with its outputs in the model shape, the prompt in input and absolute URLs', () => {
    const job = jobRow({
      id: 'j1',
      status: 'succeeded',
      model: 'acme/painter:v9',
      prompt: 'a fox',
      input: { seed: 1 },
      outputs: [output('0.png'), output('1.png')],
      outputShape: [{ $output: 0 }, { $output: 1 }],
      progress: { percent: 100, message: 'step 20/20', updatedAt: '2026-12-01T10:00:03.000Z' },
      createdAt: created,
      startedAt: started,
      completedAt: completed,
    });

    expect(presentPrediction(job, links)).toEqual({
      id: 'j1',
      model: 'acme/painter',
      version: 'v9',
      input: { seed: 1, prompt: 'a fox' },
      output: [`${BASE}/f/j1/0.png`, `${BASE}/f/j1/1.png`],
      status: 'succeeded',
      error: null,
      logs: 'step 20/20',
      metrics: { predict_time: 2, total_time: 3 },
      created_at: '2026-12-01T10:00:00.000Z',
      started_at: '2026-12-01T10:00:01.000Z',
      completed_at: '2026-12-01T10:00:03.000Z',
      data_removed: false,
      source: 'api',
      urls: { get: `${BASE}/v1/predictions/j1`, cancel: `${BASE}/v1/predictions/j1/cancel` },
    });
  });

  it('shows no output before success, even when an attempt already claimed its files', () => {
    const job = jobRow({ status: 'processing', outputs: [output('0.png')], outputShape: { $output: 0 } });

    expect(presentPrediction(job, links)).toMatchObject({ status: 'processing', output: null, error: null, logs: '' });
  });

  it('gives a failed job its error message, and a job waiting for a retry none', () => {
    const error = { code: 'prediction_failed', message: 'NSFW content detected', retryable: false };

    expect(presentPrediction(jobRow({ status: 'failed', error }), links).error).toBe('NSFW content detected');
    expect(presentPrediction(jobRow({ status: 'queued', error: { ...error, retryable: true } }), links)).toMatchObject({
      status: 'starting',
      error: null,
    });
  });

  it('marks a job whose outputs retention removed as data_removed, with no output', () => {
    const job = jobRow({ status: 'succeeded', outputs: [], outputShape: { $output: 0 }, outputsExpiredAt: completed });

    expect(presentPrediction(job, links)).toMatchObject({ output: null, data_removed: true });
  });
});

describe('PredictionPresenter', () => {
  const job = jobRow({ id: 'j1', status: 'succeeded', outputs: [output('0.png')], outputShape: { $output: 0 } });

  it('links outputs with a capability token the media route accepts', () => {
    const capabilities = new MediaCapabilities({ secrets: [`whsec_${Buffer.alloc(32, 1).toString('base64')}`] });
    const presenter = new PredictionPresenter({ publicBaseUrl: BASE }, capabilities);

    const url = new URL(presenter.present(job).output as string);

    expect(`${url.origin}${url.pathname}`).toBe(`${BASE}/v1/media/j1/0.png`);
    expect(capabilities.grants('j1', '0.png', url.searchParams.get('token') as string)).toBe(true);
  });

  it('links outputs plainly when no server secret can sign', () => {
    const presenter = new PredictionPresenter({ publicBaseUrl: BASE }, new MediaCapabilities({ secrets: [] }));

    expect(presenter.present(job).output).toBe(`${BASE}/v1/media/j1/0.png`);
  });
});

describe('edges of the prediction shape', () => {
  it('fills only exact output slots: other objects, nulls and values stay as the model gave them', () => {
    const shape = {
      images: [{ $output: 0 }],
      caption: null,
      meta: { seed: 7, $output: 'x' },
      pair: { $output: 1, b: 2 },
    };

    expect(shapeOutput(shape as never, ['a.png', 'b.png'])).toEqual({
      images: ['a.png'],
      caption: null,
      meta: { seed: 7, $output: 'x' },
      pair: { $output: 1, b: 2 },
    });
  });

  it('treats a missing shape like no shape: one URL, or a list of several', () => {
    expect(shapeOutput(undefined as never, ['a.png', 'b.png'])).toEqual(['a.png', 'b.png']);
  });

  it('leaves the metrics out, not undefined, until the prediction ended', () => {
    expect(Object.keys(predictionMetrics(jobRow({ status: 'processing', startedAt: new Date() })))).toEqual([]);
  });

  it('shows an error only once failed, with a plain message when none was recorded', () => {
    const retryError = { code: 'upstream_unavailable', message: 'down', retryable: true };

    expect(presentPrediction(jobRow({ status: 'queued', error: retryError }), links).error).toBeNull();
    expect(presentPrediction(jobRow({ status: 'failed', error: null }), links).error).toBe('The prediction failed');
  });
});
