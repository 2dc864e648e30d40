import type { AuthConfig, GeneratorConfig, QueueConfig } from '@app/config';
import type { JobsRepository, WebhookDeliveriesRepository, WebhookDeliveryEntity } from '@app/database';
import type { InputProblem, MediaGenerator } from '@app/generator';
import type { GenerationQueueProducer } from '@app/queue';
import type { WebhookDispatcher } from '@app/webhooks';
import { encodeCursor } from './job-cursor';
import {
  IdempotencyKeyReusedError,
  InvalidCursorError,
  InvalidJobInputError,
  JobNotFoundError,
  MediaExpiredError,
  MediaNotFoundError,
} from './jobs.errors';
import { JobsService, type SubmitJobCommand } from './jobs.service';
import { MediaCapabilities } from './media-capabilities';
import { fingerprint } from './request-fingerprint';
import {
  as,
  type CapturedLog,
  captureLogs,
  FakeDeliveries,
  FakeGenerationQueue,
  FakeJobsRepository,
  FakeWebhooks,
  MemoryStorage,
  settle,
  T0,
} from './testing/fakes';

const TTL_HOURS = 24;
const OUTPUT = { file: '0.png', contentType: 'image/png', bytes: 10, sha256: 'abc' };
const JOB_ID = '9b2f9a43-3c3e-4f3a-9d51-0c8f0f3f6b7e';
const capabilities = new MediaCapabilities({ secrets: [`whsec_${Buffer.alloc(32, 7).toString('base64')}`] });

/** What submit logs when the enqueue fails, whether before or after it answered. */
const enqueueFailed = (jobId: string, err: Error): CapturedLog => ({
  level: 'warn',
  fields: { jobId, err },
  message: 'Could not enqueue the job now; the sweep will',
});

describe('JobsService', () => {
  let jobs: FakeJobsRepository;
  let queue: FakeGenerationQueue;
  let storage: MemoryStorage;
  let webhooks: FakeWebhooks;
  let deliveries: FakeDeliveries;
  let inputProblems: InputProblem[];
  let allowedModels: string[];
  let service: JobsService;

  beforeEach(() => {
    jobs = new FakeJobsRepository();
    queue = new FakeGenerationQueue();
    storage = new MemoryStorage();
    webhooks = new FakeWebhooks();
    deliveries = new FakeDeliveries();
    inputProblems = [];
    allowedModels = [];
    service = new JobsService(
      as<JobsRepository>(jobs),
      as<GenerationQueueProducer>(queue),
      as<MediaGenerator>({ checkInput: () => inputProblems }),
      storage,
      as<QueueConfig>({ attempts: 4 }),
      as<GeneratorConfig>({
        defaultModel: 'owner/default',
        get allowedModels() {
          return allowedModels;
        },
      }),
      as<AuthConfig>({ idempotencyTtlHours: TTL_HOURS }),
      as<WebhookDispatcher>(webhooks),
      as<WebhookDeliveriesRepository>(deliveries),
      capabilities,
    );
  });

  afterEach(() => jest.useRealTimers());

  const command = (overrides: Partial<SubmitJobCommand> = {}): SubmitJobCommand => ({
    owner: 'alice',
    prompt: 'a cat',
    ...overrides,
  });

  describe('submit', () => {
    it('stores a queued job with the default model and no input, then enqueues it', async () => {
      const { job, replayed } = await service.submit(command());

      expect(replayed).toBe(false);
      expect(job).toMatchObject({
        owner: 'alice',
        prompt: 'a cat',
        model: 'owner/default',
        input: {},
        maxAttempts: 4,
        idempotencyKey: null,
        requestFingerprint: null,
        webhook: null,
        status: 'queued',
      });
      expect(queue.enqueued).toEqual([job.id]);
    });

    it('keeps the model, input and webhook asked for', async () => {
      const webhook = { url: 'https://hooks.example/x', events: ['completed'] };

      const { job } = await service.submit(command({ model: 'owner/other', input: { seed: 1 }, webhook }));

      expect(job).toMatchObject({ model: 'owner/other', input: { seed: 1 }, webhook });
    });

    it('refuses bad input with every problem at once, storing nothing', async () => {
      allowedModels = ['owner/default'];
      inputProblems = [{ field: 'input.seed', message: 'seed must be a number' }];
      webhooks.refused.set('http://10.0.0.1/', 'webhook URL points to a private address');

      const refusal = await service
        .submit(command({ model: 'owner/evil', webhook: { url: 'http://10.0.0.1/', events: ['completed'] } }))
        .catch((error: unknown) => error);

      expect(refusal).toBeInstanceOf(InvalidJobInputError);
      expect((refusal as InvalidJobInputError).problems).toEqual([
        { field: 'model', message: 'model owner/evil is not allowed on this server' },
        { field: 'input.seed', message: 'seed must be a number' },
        { field: 'webhook', message: 'webhook URL points to a private address' },
      ]);
      expect(jobs.rows.size).toBe(0);
      expect(queue.enqueued).toEqual([]);
    });

    it('accepts a model on the allow-list, and a pinned version of one', async () => {
      allowedModels = ['owner/default'];

      await service.submit(command());
      await service.submit(command({ model: 'owner/default:abc123' }));

      expect(jobs.rows.size).toBe(2);
    });

    it('accepts an allowed webhook', async () => {
      const { job } = await service.submit(
        command({ webhook: { url: 'https://hooks.example/', events: ['completed'] } }),
      );

      expect(job.webhook).toEqual({ url: 'https://hooks.example/', events: ['completed'] });
    });

    it('fingerprints a request with an idempotency key, with the model and input it resolved to', async () => {
      const { job } = await service.submit(command({ idempotencyKey: 'k-1' }));

      expect(job).toMatchObject({ idempotencyKey: 'k-1' });
      expect(job.requestFingerprint).toBe(
        fingerprint({ prompt: 'a cat', model: 'owner/default', input: {}, webhook: undefined }),
      );
    });

    it('answers a repeat of the same request under the same key with the original job, enqueuing nothing', async () => {
      const first = await service.submit(command({ idempotencyKey: 'k-1' }));

      const again = await service.submit(command({ idempotencyKey: 'k-1' }));

      expect(again).toEqual({ job: first.job, replayed: true });
      expect(queue.enqueued).toEqual([first.job.id]);
    });

    it('refuses the same key with a different request', async () => {
      const first = await service.submit(command({ idempotencyKey: 'k-1' }));

      const refusal = await service
        .submit(command({ idempotencyKey: 'k-1', prompt: 'a dog' }))
        .catch((error: unknown) => error);

      expect(refusal).toBeInstanceOf(IdempotencyKeyReusedError);
      expect(refusal).toMatchObject({ key: 'k-1', jobId: first.job.id });
    });

    it('hands over a key that outlived its retention to the next request that uses it', async () => {
      const old = jobs.add({
        id: 'old',
        idempotencyKey: 'k-1',
        requestFingerprint: 'other request',
        createdAt: new Date(Date.now() - TTL_HOURS * 3_600_000 - 60_000),
      });

      const { job, replayed } = await service.submit(command({ idempotencyKey: 'k-1', prompt: 'a dog' }));

      expect(replayed).toBe(false);
      expect(job.id).not.toBe(old.id);
      expect(jobs.row('old').idempotencyKey).toBeNull();
      expect(queue.enqueued).toEqual([job.id]);
    });

    it('keeps a key exactly as old as its retention', async () => {
      jest.useFakeTimers({ now: new Date('2026-11-30T10:00:00Z'), doNotFake: ['setImmediate'] });
      jobs.add({
        id: 'edge',
        idempotencyKey: 'k-1',
        requestFingerprint: 'other request',
        createdAt: new Date(Date.now() - TTL_HOURS * 3_600_000),
      });

      await expect(service.submit(command({ idempotencyKey: 'k-1' }))).rejects.toThrow(IdempotencyKeyReusedError);
    });

    it('keeps a key still within its retention', async () => {
      jobs.add({
        id: 'recent',
        idempotencyKey: 'k-1',
        requestFingerprint: 'other request',
        createdAt: new Date(Date.now() - TTL_HOURS * 3_600_000 + 60_000),
      });

      await expect(service.submit(command({ idempotencyKey: 'k-1' }))).rejects.toThrow(IdempotencyKeyReusedError);
      expect(jobs.calls).not.toContain('releaseIdempotencyKey');
    });

    it('releases an expired key once only, then judges whoever holds it now', async () => {
      jobs.add({
        id: 'old',
        idempotencyKey: 'k-1',
        requestFingerprint: 'other request',
        createdAt: new Date(0),
      });
      jobs.releaseIdempotencyKey = async () => {
        jobs.calls.push('releaseIdempotencyKey');
      };

      await expect(service.submit(command({ idempotencyKey: 'k-1' }))).rejects.toThrow(IdempotencyKeyReusedError);
      expect(jobs.calls.filter((call) => call === 'releaseIdempotencyKey')).toHaveLength(1);
    });

    it('accepts the job when Redis refuses the enqueue, saying the sweep queues it later', async () => {
      const logs = captureLogs();
      const refusal = new Error('Connection is closed.');
      queue.enqueueWith = async () => {
        throw refusal;
      };

      const { job } = await service.submit(command());

      expect(jobs.row(job.id).status).toBe('queued');
      expect(logs).toEqual([enqueueFailed(job.id, refusal)]);
      jest.restoreAllMocks();
    });

    it('answers after 2 seconds when the enqueue hangs, and logs its late failure (never unhandled)', async () => {
      jest.useFakeTimers({ doNotFake: ['setImmediate'] });
      const logs = captureLogs();
      let failLate!: (error: Error) => void;
      queue.enqueueWith = () =>
        new Promise<void>((_, reject) => {
          failLate = reject;
        });
      let answered = false;
      const submit = service.submit(command()).then((result) => {
        answered = true;
        return result;
      });

      await jest.advanceTimersByTimeAsync(1999);
      expect(answered).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      const { job } = await submit;
      expect(answered).toBe(true);
      expect(logs).toEqual([
        {
          level: 'warn',
          fields: { jobId: job.id, timeoutMs: 2000 },
          message: 'Enqueue is slow; the sweep will queue the job',
        },
      ]);
      const late = new Error('late');
      failLate(late);
      await settle(() => logs.length === 2);
      expect(logs[1]).toEqual(enqueueFailed(job.id, late));
      jest.restoreAllMocks();
    });

    it('leaves no timer behind after a prompt enqueue', async () => {
      jest.useFakeTimers({ doNotFake: ['setImmediate'] });

      await service.submit(command());

      expect(jest.getTimerCount()).toBe(0);
    });
  });

  describe('reading jobs', () => {
    it("gets an owner's job, and treats another key's job as unknown", async () => {
      jobs.add({ owner: 'alice' });

      await expect(service.get('job-1', 'alice')).resolves.toMatchObject({ id: 'job-1' });
      const refusal = await service.get('job-1', 'bob').catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(JobNotFoundError);
      expect(refusal).toMatchObject({ jobId: 'job-1' });
    });

    it('lists a page, asking one row more to know whether another page follows', async () => {
      for (let index = 1; index <= 4; index += 1) {
        jobs.add({ id: `job-${index}`, createdAt: new Date(T0.getTime() - index) });
      }

      const page = await service.list({ owner: 'alice', limit: 3 });

      expect(page.jobs.map((job) => job.id)).toEqual(['job-1', 'job-2', 'job-3']);
      expect(page.nextCursor).toBe(encodeCursor(page.jobs[2]));
      expect(jobs.listQueries).toEqual([{ owner: 'alice', limit: 4, after: undefined }]);
    });

    it('has no next page when the rows fit in this one', async () => {
      jobs.add({ id: 'job-1' });
      jobs.add({ id: 'job-2' });

      expect((await service.list({ owner: 'alice', limit: 2 })).nextCursor).toBeNull();
      expect((await service.list({ owner: 'nobody', limit: 0 })).nextCursor).toBeNull();
    });

    it('continues after the job a cursor names, and refuses a cursor it did not give out', async () => {
      const cursor = encodeCursor({ createdAt: T0, id: JOB_ID });

      await service.list({ owner: 'alice', limit: 5, cursor, statuses: ['queued'] });

      expect(jobs.listQueries[0]).toEqual({
        owner: 'alice',
        limit: 6,
        statuses: ['queued'],
        cursor,
        after: { createdAt: T0, id: JOB_ID },
      });
      await expect(service.list({ owner: 'alice', limit: 5, cursor: 'garbage' })).rejects.toThrow(InvalidCursorError);
    });

    it('lists the webhook deliveries of a job the owner may see, and only those', async () => {
      jobs.add({ owner: 'alice' });
      const delivery = { id: 'd-1', jobId: 'job-1' } as WebhookDeliveryEntity;
      deliveries.byJob.set('job-1', [delivery]);

      await expect(service.deliveries('job-1', 'alice')).resolves.toEqual([delivery]);
      await expect(service.deliveries('job-1', 'bob')).rejects.toThrow(JobNotFoundError);
    });
  });

  describe('outputs', () => {
    it('finds a published output of a succeeded job', async () => {
      jobs.add({ status: 'succeeded', outputs: [OUTPUT] });

      await expect(service.findOutput('job-1', '0.png', 'alice')).resolves.toEqual(OUTPUT);
    });

    it.each([
      ['a file name that could escape the job folder', '../0.png', { status: 'succeeded' as const }],
      ['a file the job does not list', '1.png', { status: 'succeeded' as const }],
      ['an output of a job that has not succeeded', '0.png', { status: 'processing' as const }],
    ])('reports %s as not found', async (_case, file, overrides) => {
      jobs.add({ outputs: [OUTPUT], ...overrides });

      const refusal = await service.findOutput('job-1', file, 'alice').catch((error: unknown) => error);

      expect(refusal).toBeInstanceOf(MediaNotFoundError);
      expect((refusal as Error).message).toBe(`Job job-1 has no output named ${file}`);
    });

    it('reports every file of a job whose outputs expired as gone', async () => {
      const expiredAt = new Date('2026-12-30T00:00:00Z');
      jobs.add({ status: 'succeeded', outputs: [], outputsExpiredAt: expiredAt });

      const refusal = await service.findOutput('job-1', '0.png', 'alice').catch((error: unknown) => error);

      expect(refusal).toBeInstanceOf(MediaExpiredError);
      expect(refusal).toMatchObject({ jobId: 'job-1', outputsExpiredAt: expiredAt });
    });

    it('refuses an unsafe file name before looking the job up', async () => {
      await expect(service.findOutput('no-such-job', '..', 'alice')).rejects.toThrow(MediaNotFoundError);
    });

    it("does not reveal another key's outputs", async () => {
      jobs.add({ status: 'succeeded', outputs: [OUTPUT] });

      await expect(service.findOutput('job-1', '0.png', 'bob')).rejects.toThrow(JobNotFoundError);
    });

    it('finds an output for whoever holds its capability token, whatever their key', async () => {
      jobs.add({ status: 'succeeded', outputs: [OUTPUT] });
      const token = capabilities.token('job-1', '0.png') as string;

      await expect(service.findGrantedOutput('job-1', '0.png', token)).resolves.toEqual(OUTPUT);
    });

    it.each([
      ['a token for another file', () => capabilities.token('job-1', '1.png') as string],
      ['a token for another job', () => capabilities.token('job-2', '0.png') as string],
      ['a made-up token', () => 'x'.repeat(43)],
    ])('reports an output asked for with %s as not found', async (_case, token) => {
      jobs.add({ status: 'succeeded', outputs: [OUTPUT, { ...OUTPUT, file: '1.png' }] });

      await expect(service.findGrantedOutput('job-1', '0.png', token())).rejects.toThrow(MediaNotFoundError);
    });

    it('applies the same rules to a granted output as to an owned one', async () => {
      jobs.add({ status: 'processing', outputs: [OUTPUT] });
      const token = capabilities.token('job-1', '0.png') as string;

      await expect(service.findGrantedOutput('job-1', '0.png', token)).rejects.toThrow(MediaNotFoundError);
      await expect(
        service.findGrantedOutput('job-9', '0.png', capabilities.token('job-9', '0.png') as string),
      ).rejects.toThrow(JobNotFoundError);
    });

    const written = { ...OUTPUT, storedAs: 'attempt-2-0.png' };

    it('offers the storage direct URL of an output, where the attempt that wrote it keeps it', async () => {
      const serving = { contentType: 'image/png', disposition: 'inline' };

      await expect(service.directOutputUrl('job-1', written, serving)).resolves.toBe(
        'https://bucket.example/job-1/attempt-2-0.png?type=image/png',
      );
    });

    it('opens a stored output where the attempt that wrote it keeps it, and reports a missing file as not found', async () => {
      storage.put('job-1/attempt-2-0.png', 'image');

      const media = await service.openOutput('job-1', written);
      expect(media.bytes).toBe(5);
      await expect(service.openOutput('job-1', { ...written, storedAs: 'attempt-3-0.png' })).rejects.toThrow(
        MediaNotFoundError,
      );
    });

    it('opens an output an older release published under its file name', async () => {
      storage.put('job-1/0.png', 'older');

      const media = await service.openOutput('job-1', OUTPUT);
      expect(media.bytes).toBe(5);
    });
  });
});
