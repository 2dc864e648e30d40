import type { GeneratorConfig } from '@app/config';
import type { JobEntity, JobErrorRecord, JobsRepository } from '@app/database';
import {
  ABORT_REASONS,
  type GeneratedMedia,
  GenerationError,
  type GenerationRequest,
  type MediaGenerator,
} from '@app/generator';
import { GenerationService } from './generation.service';
import type { JobEvents } from './job-events.service';
import { JobFiles } from './job-files.service';
import {
  AttemptCanceledError,
  AttemptFailedError,
  AttemptInterruptedError,
  InfrastructureUnavailableError,
} from './jobs.errors';
import { as, databaseDown, FakeEvents, FakeJobsRepository, MemoryStorage, png } from './testing/fakes';

const OUTPUT = { file: '0.png', contentType: 'image/png', bytes: 10, sha256: 'abc' };

describe('GenerationService', () => {
  let jobs: FakeJobsRepository;
  let storage: MemoryStorage;
  let events: FakeEvents;
  let generate: jest.Mock<Promise<GeneratedMedia[]>, [GenerationRequest]>;
  let service: GenerationService;

  function build(overrides: Partial<JobEntity> = {}, limits = { maxCount: 4, maxTotalBytes: 100 }) {
    jobs = new FakeJobsRepository();
    jobs.add(overrides);
    storage = new MemoryStorage();
    events = new FakeEvents();
    generate = jest.fn<Promise<GeneratedMedia[]>, [GenerationRequest]>(async () => [png(), png()]);
    service = new GenerationService(
      as<JobsRepository>(jobs),
      // The spec scripts the media; the shape is the model's list of them.
      as<MediaGenerator>({
        generate: async (request: GenerationRequest) => {
          const media = await generate(request);
          return { media, shape: media.map((_, index) => ({ $output: index })) };
        },
      }),
      new JobFiles(storage),
      as<JobEvents>(events),
      as<GeneratorConfig>({ jobOutputs: limits }),
    );
  }

  const run = (context = {}) => service.runAttempt('job-1', context).catch((error: unknown) => error);
  const failWith = (error: unknown) => generate.mockRejectedValue(error);

  beforeEach(() => build());

  describe('a successful attempt', () => {
    it('publishes the outputs of a successful attempt, and nothing else', async () => {
      await service.runAttempt('job-1');

      expect(jobs.row()).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
      expect(jobs.row().completedAt).not.toBeNull();
      expect(jobs.row().outputs).toEqual([
        {
          file: '0.png',
          storedAs: 'attempt-1-0.png',
          contentType: 'image/png',
          bytes: 10,
          sha256: 'sha-of-job-1/attempt-1-0.png',
        },
        {
          file: '1.png',
          storedAs: 'attempt-1-1.png',
          contentType: 'image/png',
          bytes: 10,
          sha256: 'sha-of-job-1/attempt-1-1.png',
        },
      ]);
      expect(jobs.row().outputShape).toEqual([{ $output: 0 }, { $output: 1 }]);
      expect(storage.keys()).toEqual(['job-1/attempt-1-0.png', 'job-1/attempt-1-1.png']);
      expect(storage.removed).toEqual([]);
      expect(events.log).toEqual(['started job-1', 'finished job-1']);
    });

    it('asks the generator for the job as the row holds it, naming the attempt', async () => {
      build({ attempts: 1, status: 'queued', predictionId: 'p-1', input: { seed: 1 } });
      const signal = new AbortController().signal;

      await service.runAttempt('job-1', { signal });

      expect(generate).toHaveBeenCalledWith(
        expect.objectContaining({
          jobId: 'job-1',
          attempt: 2,
          model: 'mock',
          prompt: 'a cat',
          input: { seed: 1 },
          predictionId: 'p-1',
          signal,
        }),
      );
    });

    it('announces the start only on the first attempt', async () => {
      build({ attempts: 1 });

      await service.runAttempt('job-1');

      expect(events.log).toEqual(['finished job-1']);
    });

    it('removes what earlier attempts whose workers died left behind, once the job succeeds', async () => {
      build({ attempts: 2 });
      storage.put('job-1/attempt-1-0.png');
      storage.put('job-1/attempt-2-0.png');
      storage.put('job-1/staging-2-0.png');

      await service.runAttempt('job-1');

      expect(storage.keys()).toEqual(['job-1/attempt-3-0.png', 'job-1/attempt-3-1.png']);
    });

    it('clears the error an earlier attempt recorded once the job succeeds', async () => {
      build({ attempts: 1, error: { code: 'upstream_unavailable', message: 'down', retryable: true } });

      await service.runAttempt('job-1');

      expect(jobs.row()).toMatchObject({ status: 'succeeded', error: null });
    });

    it('records the upstream prediction as soon as the generator starts it, so a retry can resume it', async () => {
      generate.mockImplementation(async (request) => {
        await request.recordPrediction('p-42');
        expect(jobs.row()).toMatchObject({ status: 'processing', predictionId: 'p-42' });
        return [png()];
      });

      await service.runAttempt('job-1');

      expect(jobs.row()).toMatchObject({ status: 'succeeded', predictionId: 'p-42' });
    });
  });

  describe('failure recording', () => {
    it('queues a retryable failure again while attempts are left, removing what the attempt wrote', async () => {
      storage.put('job-1/attempt-10-0.png');
      generate.mockImplementation(async () => {
        storage.put('job-1/attempt-1-0.png', 'partial');
        throw new GenerationError('upstream_unavailable', 'down', { retryable: true });
      });

      const failure = await run();

      expect(failure).toBeInstanceOf(AttemptFailedError);
      expect(failure).toMatchObject({
        jobId: 'job-1',
        final: false,
        failure: { code: 'upstream_unavailable', message: 'down', retryable: true },
      });
      expect(jobs.row()).toMatchObject({
        status: 'queued',
        attempts: 1,
        error: { code: 'upstream_unavailable', message: 'down', retryable: true },
        completedAt: null,
      });
      expect(storage.keys()).toEqual(['job-1/attempt-10-0.png']);
      expect(events.log).toEqual(['started job-1']);
    });

    it('counts an unknown error as a retryable internal_error', async () => {
      failWith(new Error('bug'));

      const failure = await run();

      expect(failure).toMatchObject({ final: false, failure: { code: 'internal_error', retryable: true } });
      expect(jobs.row().error).toMatchObject({ code: 'internal_error', retryable: true });
    });

    it.each([
      ['a retryable error on the last attempt', { attempts: 2 }, true],
      ['a permanent error on the first attempt', {}, false],
    ])('fails the job for %s, removing every file and announcing the end', async (_case, overrides, retryable) => {
      build(overrides);
      storage.put('job-1/attempt-1-0.png');
      failWith(new GenerationError('prediction_failed', 'no', { retryable }));

      const failure = await run();

      expect(failure).toMatchObject({ final: true, failure: { code: 'prediction_failed', retryable } });
      expect(jobs.row()).toMatchObject({ status: 'failed', error: { code: 'prediction_failed', retryable } });
      expect(jobs.row().completedAt).not.toBeNull();
      expect(storage.removed).toEqual(['job-1']);
      expect(events.log.at(-1)).toBe('finished job-1');
    });

    it('makes the retryable failure of the last attempt final: no attempt is left', async () => {
      build({ attempts: 2, maxAttempts: 3 });
      failWith(new GenerationError('upstream_unavailable', 'down', { retryable: true }));

      const failure = await run();

      expect(failure).toMatchObject({ final: true });
      expect(jobs.row()).toMatchObject({ status: 'failed', attempts: 3 });
    });

    it('gives a throttled attempt (429 with retryAfterMs) its attempt back, even the last one', async () => {
      build({ attempts: 2, maxAttempts: 3 });
      failWith(new GenerationError('upstream_rate_limited', 'slow down', { retryable: true, retryAfterMs: 5000 }));

      const failure = await run();

      expect(failure).toMatchObject({
        final: false,
        failure: { code: 'upstream_rate_limited', retryable: true, retryAfterMs: 5000 },
      });
      expect(jobs.row()).toMatchObject({ status: 'queued', attempts: 2, error: { code: 'upstream_rate_limited' } });
      expect(jobs.row().error).not.toHaveProperty('retryAfterMs');
    });

    it('gives a throttled first attempt back too (the attempt count returns to 0)', async () => {
      failWith(new GenerationError('upstream_rate_limited', 'slow down', { retryable: true, retryAfterMs: 1 }));

      await run();

      expect(jobs.row()).toMatchObject({ status: 'queued', attempts: 0 });
    });

    it('records no retryAfterMs on the failure of an attempt the upstream did not throttle', async () => {
      failWith(new GenerationError('upstream_unavailable', 'down', { retryable: true }));

      const failure = (await run()) as AttemptFailedError;

      expect(failure.failure).not.toHaveProperty('retryAfterMs');
    });

    it('records nothing for an attempt whose job moved on while it failed, and tidies only its own files', async () => {
      generate.mockImplementation(async () => {
        jobs.row().attempts = 2;
        throw new GenerationError('upstream_unavailable', 'down', { retryable: true });
      });

      await expect(service.runAttempt('job-1')).resolves.toBeUndefined();

      expect(jobs.row()).toMatchObject({ status: 'processing', attempts: 2, error: null });
      expect(storage.removed).toEqual(['job-1/attempt-1-']);
    });

    it('removes every file when the job was canceled while its attempt failed', async () => {
      generate.mockImplementation(async () => {
        jobs.row().status = 'canceled';
        throw new GenerationError('upstream_unavailable', 'down', { retryable: true });
      });

      await expect(service.runAttempt('job-1')).resolves.toBeUndefined();

      expect(storage.removed).toEqual(['job-1']);
      expect(events.log).toEqual(['started job-1']);
    });
  });

  describe('stopping an attempt', () => {
    it('hands the attempt back when a shutdown aborts it, removing only what it wrote', async () => {
      const controller = new AbortController();
      generate.mockImplementation(async () => {
        controller.abort(ABORT_REASONS.shutdown);
        throw new GenerationError('prediction_aborted', 'aborted', { retryable: true });
      });

      const failure = await run({ signal: controller.signal });

      expect(failure).toBeInstanceOf(AttemptInterruptedError);
      expect(failure).toMatchObject({ jobId: 'job-1' });
      expect(jobs.row()).toMatchObject({ status: 'queued', attempts: 0, error: null });
      expect(storage.removed).toEqual(['job-1/attempt-1-']);
    });

    it('removes every file of a canceled job and records nothing', async () => {
      const controller = new AbortController();
      generate.mockImplementation(async () => {
        jobs.row().status = 'canceled';
        controller.abort(ABORT_REASONS.canceled);
        throw new GenerationError('prediction_canceled', 'canceled', { retryable: false });
      });

      const failure = await run({ signal: controller.signal });

      expect(failure).toBeInstanceOf(AttemptCanceledError);
      expect(failure).toMatchObject({ jobId: 'job-1' });
      expect(jobs.row()).toMatchObject({ status: 'canceled', error: null });
      expect(storage.removed).toEqual(['job-1']);
    });
  });

  describe('outages (no attempt is used)', () => {
    it('uses no attempt when it cannot begin one (PostgreSQL down)', async () => {
      jobs.failNextWrite = { applied: false };

      const failure = await run();

      expect(failure).toBeInstanceOf(InfrastructureUnavailableError);
      expect(failure).toMatchObject({
        jobId: 'job-1',
        unrecordedAttempt: undefined,
        code: 'infrastructure_unavailable',
      });
      expect(jobs.row()).toMatchObject({ status: 'queued', attempts: 0 });
    });

    it('reports an outage, not a failure, when the prediction id could not be recorded', async () => {
      generate.mockImplementation(async (request) => {
        jobs.failNextWrite = { applied: false };
        try {
          await request.recordPrediction('p-1');
        } catch (error) {
          throw new GenerationError('internal_error', 'could not record', { retryable: true, cause: error });
        }
        return [];
      });

      const failure = await run();

      expect(failure).toBeInstanceOf(InfrastructureUnavailableError);
      expect(failure).toMatchObject({ unrecordedAttempt: 1 });
      expect(jobs.row()).toMatchObject({ status: 'processing', attempts: 1, error: null });
    });

    it('passes on an error that is neither a domain error nor an outage', async () => {
      const bug = new Error('bug in the repository');
      jobs.beginAttempt = async () => {
        throw bug;
      };

      await expect(service.runAttempt('job-1')).rejects.toBe(bug);
    });

    it('gives back an attempt that could not record its success, and the retry keeps only its own files', async () => {
      generate.mockImplementationOnce(async () => {
        jobs.failNextWrite = { applied: false };
        return [png(), png()];
      });
      const failure = await run();
      expect(failure).toMatchObject({ unrecordedAttempt: 1 });
      expect(jobs.row()).toMatchObject({ status: 'processing', attempts: 1, outputs: [] });

      generate.mockImplementationOnce(async () => [png(7)]);
      await service.runAttempt('job-1', { unrecordedAttempt: 1 });

      expect(jobs.row()).toMatchObject({ status: 'succeeded', attempts: 1 });
      expect(storage.keys()).toEqual(['job-1/attempt-1-0.png']);
      expect(storage.objects.get('job-1/attempt-1-0.png')?.length).toBe(7);
    });

    it('keeps a success the database recorded but could not confirm, and announces it', async () => {
      generate.mockImplementationOnce(async () => {
        jobs.failNextWrite = { applied: true };
        return [png()];
      });
      await run();

      await service.runAttempt('job-1', { unrecordedAttempt: 1 });

      expect(jobs.row()).toMatchObject({ status: 'succeeded', attempts: 1 });
      expect(generate).toHaveBeenCalledTimes(1);
      expect(storage.keys()).toEqual(['job-1/attempt-1-0.png']);
      expect(events.log).toEqual(['started job-1', 'finished job-1']);
    });

    it('settles an unrecorded attempt a newer attempt replaced by removing only its files', async () => {
      build({ status: 'processing', attempts: 2 });
      storage.put('job-1/attempt-1-0.png');

      await service.runAttempt('job-1', { unrecordedAttempt: 1 });

      expect(storage.removed[0]).toBe('job-1/attempt-1-');
      expect(jobs.row()).toMatchObject({ status: 'succeeded', attempts: 3 });
    });

    it('settles an unrecorded attempt of a job a newer attempt ended by keeping only its outputs', async () => {
      build({ status: 'succeeded', attempts: 2, outputs: [{ ...OUTPUT, storedAs: 'attempt-2-0.png' }] });
      storage.put('job-1/attempt-2-0.png');
      storage.put('job-1/attempt-1-1.png');

      await service.runAttempt('job-1', { unrecordedAttempt: 1 });

      expect(storage.keys()).toEqual(['job-1/attempt-2-0.png']);
      expect(generate).not.toHaveBeenCalled();
      expect(events.log).toEqual([]);
    });

    it.each([
      ['the job was canceled meanwhile', { status: 'canceled' as const, attempts: 1 }],
      ['a newer attempt runs', { status: 'processing' as const, attempts: 2 }],
    ])(
      'notes no hand-back in the history of an unrecorded attempt when %s (the give-back cannot apply)',
      async (_case, row) => {
        const open = { attempt: 1, startedAt: 'start', endedAt: null, error: null };
        build({ ...row, attemptHistory: [open] });
        generate.mockImplementation(async () => {
          throw new GenerationError('prediction_failed', 'no', { retryable: false });
        });

        await run({ unrecordedAttempt: 1 });

        expect(jobs.row().attemptHistory[0]).toEqual(open);
      },
    );

    it('does nothing for an unrecorded attempt of a job that no longer exists', async () => {
      jobs.rows.clear();

      await expect(service.runAttempt('job-1', { unrecordedAttempt: 1 })).resolves.toBeUndefined();
      expect(storage.removed).toEqual([]);
    });
  });

  describe('a job that cannot begin an attempt', () => {
    it('fails a job delivered again after its last attempt was lost with attempts_exhausted', async () => {
      build({ status: 'processing', attempts: 3, maxAttempts: 3 });

      await service.runAttempt('job-1');

      expect(jobs.row()).toMatchObject({
        status: 'failed',
        attempts: 3,
        error: {
          code: 'attempts_exhausted',
          message: 'The last attempt was lost and no attempt is left',
          retryable: true,
        },
      });
      expect(jobs.row().completedAt).not.toBeNull();
      expect(storage.removed).toEqual(['job-1']);
      expect(events.log).toEqual(['finished job-1']);
      expect(generate).not.toHaveBeenCalled();
    });

    it('finishes publishing outputs an attempt of an older release claimed but did not publish', async () => {
      build({ status: 'processing', attempts: 2, outputs: [OUTPUT] });
      storage.put('job-1/staging-2-0.png');

      await service.runAttempt('job-1');

      expect(jobs.row()).toMatchObject({ status: 'succeeded', attempts: 2 });
      expect(jobs.row().completedAt).not.toBeNull();
      expect(storage.keys()).toEqual(['job-1/0.png']);
      expect(events.log).toEqual(['finished job-1']);
    });

    it.each([
      ['succeeded', ['job-1/attempt-1-', 'job-1/staging-']],
      ['failed', ['job-1']],
      ['canceled', ['job-1']],
    ] as const)('tidies a %s job: only a succeeded job keeps its outputs', async (status, removed) => {
      build({ status, attempts: 2 });

      await service.runAttempt('job-1');

      expect(storage.removed).toEqual(removed);
      expect(jobs.row().status).toBe(status);
      expect(events.log).toEqual([]);
    });

    it('does nothing for a job that no longer exists', async () => {
      jobs.rows.clear();

      await expect(service.runAttempt('job-1')).resolves.toBeUndefined();
      expect(events.log).toEqual([]);
    });

    it('runs the attempt on the row beginAttempt returned, without reading it again', async () => {
      jobs.findById = async () => {
        throw new Error('read again');
      };

      await expect(service.runAttempt('job-1')).resolves.toBeUndefined();
      expect(generate).toHaveBeenCalledTimes(1);
      expect(jobs.row()).toMatchObject({ status: 'succeeded', attempts: 1 });
    });
  });

  describe('the outcome and the files', () => {
    it('writes no file when the job moved on to a newer attempt while it generated', async () => {
      generate.mockImplementationOnce(async () => {
        jobs.row().attempts += 1;
        return [png()];
      });

      await service.runAttempt('job-1');

      expect(jobs.row()).toMatchObject({ status: 'processing', attempts: 2, outputs: [] });
      expect(storage.keys()).toEqual([]);
    });

    it('removes every file when the job was canceled while it generated', async () => {
      generate.mockImplementationOnce(async () => {
        jobs.row().status = 'canceled';
        return [png()];
      });

      await service.runAttempt('job-1');

      expect(storage.keys()).toEqual([]);
      expect(storage.removed).toEqual(['job-1']);
    });

    it("removes the files when the job was canceled between an older release's claim and its completion", async () => {
      const job = jobs.add({ status: 'canceled', attempts: 1, outputs: [OUTPUT] });
      storage.put('job-1/staging-1-0.png');

      expect(await service.completeClaim(job)).toBe(false);

      expect(storage.keys()).toEqual([]);
      expect(events.log).toEqual([]);
    });

    it('keeps the published files when a claim is completed a second time', async () => {
      const job = jobs.add({ status: 'processing', attempts: 1, outputs: [OUTPUT] });
      storage.put('job-1/staging-1-0.png');
      expect(await service.completeClaim(job)).toBe(true);

      expect(await service.completeClaim(job)).toBe(false);

      expect(storage.keys()).toEqual(['job-1/0.png']);
      expect(events.log).toEqual(['finished job-1']);
    });

    it('fails the attempt, keeping no file, when one output cannot be saved', async () => {
      storage.failSave = (key) => key.endsWith('1.png');

      const failure = await run();

      expect(failure).toMatchObject({ final: false, failure: { code: 'internal_error' } });
      expect(jobs.row()).toMatchObject({ status: 'queued', outputs: [] });
      expect(storage.keys()).toEqual([]);
    });

    it.each([
      ['too_many_outputs', { maxCount: 1, maxTotalBytes: 100 }],
      ['output_too_large', { maxCount: 4, maxTotalBytes: 15 }],
    ])('fails at once, not retried, with %s beyond the per-job limits, keeping no file', async (code, limits) => {
      build({}, limits);
      const outputs = [png(), png()];
      generate.mockResolvedValue(outputs);

      const failure = await run();

      expect(failure).toMatchObject({ final: true, failure: { code, retryable: false } });
      expect(jobs.row()).toMatchObject({ status: 'failed', attempts: 1, error: { code, retryable: false } });
      expect(storage.keys()).toEqual([]);
      if (code === 'too_many_outputs') expect(outputs.every((item) => item.content.destroyed)).toBe(true);
    });

    it('keeps exactly as many outputs as the limit allows', async () => {
      build({}, { maxCount: 2, maxTotalBytes: 20 });

      await service.runAttempt('job-1');

      expect(jobs.row()).toMatchObject({ status: 'succeeded' });
      expect(storage.keys()).toEqual(['job-1/attempt-1-0.png', 'job-1/attempt-1-1.png']);
    });
  });

  describe('after losing the job', () => {
    it('removes what it wrote when the sweep already put the job back in the queue', async () => {
      generate.mockImplementation(async () => {
        storage.put('job-1/attempt-1-0.png');
        jobs.row().status = 'queued';
        throw new GenerationError('upstream_unavailable', 'down', { retryable: true });
      });

      await run();

      expect(storage.removed[0]).toBe('job-1/attempt-1-');
    });

    it('removes what it wrote when a newer attempt succeeded meanwhile', async () => {
      generate.mockImplementationOnce(async () => {
        Object.assign(jobs.row(), {
          status: 'succeeded',
          attempts: 2,
          outputs: [{ ...OUTPUT, storedAs: 'attempt-2-0.png' }],
        });
        storage.put('job-1/attempt-2-0.png');
        return [png()];
      });

      await service.runAttempt('job-1');

      expect(storage.keys()).toEqual(['job-1/attempt-2-0.png']);
      expect(events.log).toEqual(['started job-1']);
    });

    it('removes what it wrote when a newer attempt of an older release claimed the job', async () => {
      generate.mockImplementationOnce(async () => {
        Object.assign(jobs.row(), { attempts: 2, outputs: [OUTPUT] });
        return [png()];
      });

      await service.runAttempt('job-1');

      expect(storage.removed).toEqual(['job-1/attempt-1-']);
      expect(jobs.row()).toMatchObject({ status: 'processing', attempts: 2 });
    });

    it('does nothing more when the row vanished while it generated', async () => {
      generate.mockImplementationOnce(async () => {
        jobs.rows.clear();
        return [png()];
      });

      await expect(service.runAttempt('job-1')).resolves.toBeUndefined();
    });

    it('leaves alone a job another worker runs (it could not begin an attempt, yet attempts are left)', async () => {
      build({ status: 'processing', attempts: 1, maxAttempts: 3 });
      jobs.beginAttempt = async () => null;

      await service.runAttempt('job-1');

      expect(jobs.row()).toMatchObject({ status: 'processing', attempts: 1, error: null });
      expect(storage.removed).toEqual([]);
    });

    it('publishes nothing of a claimed job that was canceled, and removes every file', async () => {
      build({ status: 'canceled', attempts: 1, outputs: [OUTPUT] });
      storage.put('job-1/attempt-1-0.png');

      await service.runAttempt('job-1');

      expect(storage.removed).toEqual(['job-1']);
      expect(storage.keys()).toEqual([]);
    });

    it('tidies by the row when giving back an unrecorded attempt loses a race with a cancel', async () => {
      build({ status: 'processing', attempts: 1 });
      jobs.changeIf = async () => {
        jobs.row().status = 'canceled';
        return null;
      };

      await service.runAttempt('job-1', { unrecordedAttempt: 1 });

      expect(storage.removed).toEqual(['job-1', 'job-1']);
    });

    it('reports a claim completed by nobody when the row vanished', async () => {
      const job = jobs.add({ status: 'processing', attempts: 1, outputs: [OUTPUT] });
      jobs.rows.clear();

      await expect(service.completeClaim(job)).resolves.toBe(false);
    });
  });

  describe('failUnavailable', () => {
    it('fails a job whose outage outlasted its ceiling with infrastructure_unavailable', async () => {
      build({ status: 'processing', attempts: 1 });
      storage.put('job-1/attempt-1-0.png');

      await service.failUnavailable('job-1');

      expect(jobs.row()).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: {
          code: 'infrastructure_unavailable',
          message:
            'PostgreSQL or Redis stayed unavailable for longer than the job may wait (JOB_INFRASTRUCTURE_OUTAGE_MAX_MS)',
          retryable: true,
        },
      });
      expect(storage.keys()).toEqual([]);
      expect(events.log).toEqual(['finished job-1']);
    });

    it.each([
      ['has ended', { status: 'succeeded' as const, attempts: 1 }],
      [
        'was claimed by an attempt of an older release',
        { status: 'processing' as const, attempts: 1, outputs: [OUTPUT] },
      ],
    ])('leaves a job alone that %s', async (_case, overrides) => {
      build(overrides);

      await service.failUnavailable('job-1');

      expect(jobs.row().status).toBe(overrides.status);
      expect(events.log).toEqual([]);
    });

    it('ignores a job that no longer exists', async () => {
      jobs.rows.clear();

      await expect(service.failUnavailable('job-1')).resolves.toBeUndefined();
    });

    it('announces nothing when the job moved on before it could be failed', async () => {
      build({ status: 'processing', attempts: 1 });
      const original = jobs.changeIf.bind(jobs);
      jobs.changeIf = async (...args) => {
        jobs.row().attempts = 2;
        return original(...args);
      };

      await service.failUnavailable('job-1');

      expect(jobs.row().status).toBe('processing');
      expect(events.log).toEqual([]);
      expect(storage.removed).toEqual([]);
    });
  });

  describe('attempt history and progress', () => {
    const entry = (attempt: number, error: Partial<JobErrorRecord> | null) => ({
      attempt,
      startedAt: 'start',
      endedAt: 'end',
      error: error && expect.objectContaining(error),
    });

    it('records each attempt with the error it ended with; the failed one stays after a retry succeeds', async () => {
      generate.mockRejectedValueOnce(new GenerationError('upstream_unavailable', 'down', { retryable: true }));
      await service.runAttempt('job-1').catch(() => undefined);
      expect(events.changes).toContain('job-1');
      await service.runAttempt('job-1');

      expect(jobs.row()).toMatchObject({ status: 'succeeded', error: null, progress: null });
      expect(jobs.row().attemptHistory).toEqual([
        entry(1, { code: 'upstream_unavailable', message: 'down', retryable: true }),
        entry(2, null),
      ]);
    });

    it('closes the history entry of an attempt whose outcome the job no longer takes (it moved on meanwhile)', async () => {
      generate.mockImplementationOnce(async () => {
        // Ended elsewhere while the attempt ran, without this attempt being told.
        Object.assign(jobs.row(), { status: 'canceled' });
        throw new GenerationError('upstream_unavailable', 'down', { retryable: true });
      });

      await run();

      expect(jobs.row().status).toBe('canceled');
      expect(jobs.row().attemptHistory).toEqual([entry(1, { code: 'upstream_unavailable' })]);
    });

    it('notes an attempt handed back at shutdown, which the next attempt runs again under its number', async () => {
      const controller = new AbortController();
      generate.mockImplementationOnce(async () => {
        controller.abort('worker-shutdown');
        throw new Error('aborted');
      });
      await service.runAttempt('job-1', { signal: controller.signal }).catch(() => undefined);
      await service.runAttempt('job-1');

      expect(jobs.row().attemptHistory).toEqual([entry(1, { code: 'attempt_handed_back' }), entry(1, null)]);
    });

    it('writes the progress the generator reports while the attempt runs, and tells watchers', async () => {
      let seen: JobEntity['progress'] = null;
      generate.mockImplementationOnce(async (request) => {
        request.onProgress?.({ percent: 30, message: 'step 6/20' });
        await new Promise((resolve) => setImmediate(resolve));
        seen = jobs.row().progress;
        return [png()];
      });
      await service.runAttempt('job-1');

      expect(seen).toEqual({ percent: 30, message: 'step 6/20', updatedAt: 'now' });
      expect(events.changes).toContain('job-1');
      expect(jobs.row().progress).toBeNull();
    });

    it('never fails an attempt for a history or progress write that failed', async () => {
      const broken = async () => {
        throw databaseDown();
      };
      Object.assign(jobs, { recordProgress: broken, closeAttempt: broken });
      generate.mockImplementationOnce(async (request) => {
        request.onProgress?.({ percent: 1, message: null });
        return [png()];
      });

      await service.runAttempt('job-1');

      expect(jobs.row().status).toBe('succeeded');
    });
  });
});
