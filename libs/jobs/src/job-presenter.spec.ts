import type { JobEntity, JobStatus } from '@app/database';
import { presentJob, publishedOutputs } from './job-presenter';

const output = { file: '0.png', contentType: 'image/png', bytes: 10, sha256: 'a'.repeat(64) };

function job(status: JobStatus): JobEntity {
  const at = new Date('2026-11-30T10:00:00Z');
  return {
    id: 'job-1',
    status,
    prompt: 'a cat',
    model: 'mock',
    input: {},
    attempts: 1,
    maxAttempts: 3,
    error: null,
    outputs: [output],
    createdAt: at,
    startedAt: at,
    completedAt: null,
    updatedAt: at,
    outputsExpiredAt: null,
    progress: { percent: 40, message: 'step 8/20', updatedAt: '2026-11-30T10:00:01.000Z' },
    attemptHistory: [{ attempt: 1, startedAt: '2026-11-30T10:00:00.000Z', endedAt: null, error: null }],
  } as JobEntity;
}

describe('presentJob', () => {
  it('shows every public field, with instants as ISO 8601 strings', () => {
    const at = new Date('2026-11-30T11:00:00Z');
    const ended = { ...job('succeeded'), completedAt: at, outputsExpiredAt: at, error: null };

    const view = presentJob(ended, 'https://media.example');

    expect(view).toMatchObject({ id: 'job-1', status: 'succeeded', prompt: 'a cat', model: 'mock', input: {} });
    expect(view).toMatchObject({ attempts: 1, maxAttempts: 3, error: null });
    expect([view.createdAt, view.startedAt, view.updatedAt]).toEqual(Array(3).fill('2026-11-30T10:00:00.000Z'));
    expect([view.completedAt, view.outputsExpiredAt]).toEqual(Array(2).fill('2026-11-30T11:00:00.000Z'));
  });

  it('shows instants not reached yet as null', () => {
    expect(presentJob({ ...job('queued'), startedAt: null }, '')).toMatchObject({
      startedAt: null,
      completedAt: null,
      outputsExpiredAt: null,
    });
  });
});

describe('published outputs', () => {
  it('are the recorded outputs of a succeeded job, with absolute URLs', () => {
    expect(presentJob(job('succeeded'), 'https://media.example').outputs).toEqual([
      {
        url: 'https://media.example/v1/media/job-1/0.png',
        file: '0.png',
        contentType: 'image/png',
        bytes: 10,
        sha256: output.sha256,
      },
    ]);
  });

  // An attempt records its outputs when it claims the job, before the files are in place.
  it.each<JobStatus>(['processing', 'queued', 'canceled', 'failed'])('are none while the job is %s', (status) => {
    expect(publishedOutputs(job(status))).toEqual([]);
    expect(presentJob(job(status), 'https://media.example').outputs).toEqual([]);
  });
});

describe('live fields', () => {
  it('show progress only while an attempt runs', () => {
    expect(presentJob(job('processing'), 'https://media.example').progress).toEqual({
      percent: 40,
      message: 'step 8/20',
      updatedAt: '2026-11-30T10:00:01.000Z',
    });
    for (const status of ['queued', 'succeeded', 'failed', 'canceled'] as const) {
      expect(presentJob(job(status), 'https://media.example').progress).toBeNull();
    }
  });

  it('show the queue position only while queued', () => {
    expect(presentJob(job('queued'), 'https://media.example', 4).queuePosition).toBe(4);
    expect(presentJob(job('queued'), 'https://media.example').queuePosition).toBeNull();
    expect(presentJob(job('processing'), 'https://media.example', 4).queuePosition).toBeNull();
  });

  it('always show the attempt history', () => {
    expect(presentJob(job('succeeded'), 'https://media.example').attemptHistory).toEqual([
      { attempt: 1, startedAt: '2026-11-30T10:00:00.000Z', endedAt: null, error: null },
    ]);
  });
});
