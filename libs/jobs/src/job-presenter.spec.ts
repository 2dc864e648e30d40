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
  } as JobEntity;
}

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
