import {
  type AuthConfig,
  authConfig,
  type GeneratorConfig,
  generatorConfig,
  type QueueConfig,
  queueConfig,
} from '@app/config';
import {
  type JobEntity,
  type JobListQuery,
  type JobOutputRecord,
  JobsRepository,
  type JobWebhookRecord,
  type NewJob,
  WebhookDeliveriesRepository,
  type WebhookDeliveryEntity,
} from '@app/database';
import { type InputProblem, MediaGenerator, modelAllowance } from '@app/generator';
import { GenerationQueueProducer, settlesWithin } from '@app/queue';
import { isSafeSegment, type MediaObject, type MediaServing, MediaStorage } from '@app/storage';
import { WebhookDispatcher } from '@app/webhooks';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { decodeCursor, encodeCursor } from './job-cursor';
import { publishedOutputs } from './job-presenter';
import {
  IdempotencyKeyReusedError,
  InvalidJobInputError,
  JobNotFoundError,
  MediaExpiredError,
  MediaNotFoundError,
} from './jobs.errors';
import { MediaCapabilities } from './media-capabilities';
import { outputKey } from './output-key';
import { fingerprint } from './request-fingerprint';

export interface SubmitJobCommand {
  /** The API key name submitting; '' when the service runs without keys. */
  owner: string;
  prompt: string;
  model?: string;
  input?: Record<string, unknown>;
  idempotencyKey?: string;
  webhook?: JobWebhookRecord;
}

export interface SubmitResult {
  job: JobEntity;
  /** The job already existed under the same idempotency key and request: nothing new was created. */
  replayed: boolean;
}

export interface ListJobsQuery extends Omit<JobListQuery, 'after'> {
  cursor?: string;
}

export interface JobPage {
  jobs: JobEntity[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** How long a submit waits for Redis before answering anyway. */
const ENQUEUE_TIMEOUT_MS = 2000;

/** The job use cases the api offers: submit, read, and read an output. */
@Injectable()
export class JobsService {
  private readonly logger = new Logger(JobsService.name);

  constructor(
    private readonly jobs: JobsRepository,
    private readonly queue: GenerationQueueProducer,
    private readonly generator: MediaGenerator,
    private readonly storage: MediaStorage,
    @Inject(queueConfig.KEY) private readonly queueSettings: QueueConfig,
    @Inject(generatorConfig.KEY) private readonly generatorSettings: GeneratorConfig,
    @Inject(authConfig.KEY) private readonly authSettings: AuthConfig,
    private readonly webhooks: WebhookDispatcher,
    private readonly webhookDeliveries: WebhookDeliveriesRepository,
    private readonly capabilities: MediaCapabilities,
  ) {}

  /**
   * Stores the job, then enqueues it; the row is committed before any worker can see the job.
   * With an idempotency key, a repeat of the same request returns the original job, and the
   * same key with a different request is refused.
   */
  async submit(command: SubmitJobCommand): Promise<SubmitResult> {
    const model = command.model ?? this.generatorSettings.defaultModel;
    const input = command.input ?? {};
    const problems = [
      ...this.checkModel(model),
      ...this.generator.checkInput(model, input),
      ...this.checkWebhook(command.webhook),
    ];
    if (problems.length > 0) throw new InvalidJobInputError(problems);

    const newJob: NewJob = {
      owner: command.owner,
      prompt: command.prompt,
      model,
      input,
      maxAttempts: this.queueSettings.attempts,
      idempotencyKey: command.idempotencyKey ?? null,
      requestFingerprint: command.idempotencyKey ? fingerprint({ ...command, model, input }) : null,
      webhook: command.webhook ?? null,
    };
    const { job, created } = await this.insertOrReplay(newJob);
    if (created) await this.enqueueOrLeaveToSweep(job);
    return { job, replayed: !created };
  }

  private async insertOrReplay(newJob: NewJob): Promise<{ job: JobEntity; created: boolean }> {
    const ttlMs = this.authSettings.idempotencyTtlHours * 3_600_000;
    for (let released = false; ; released = true) {
      const result = await this.jobs.insertOnce(newJob);
      // Stryker disable next-line ConditionalExpression,LogicalOperator: the rest of the loop returns a new row as well (it is young and carries this request's fingerprint), and a request without a key always creates one
      if (result.created || !newJob.idempotencyKey) return result;
      if (!released && Date.now() - result.job.createdAt.getTime() > ttlMs) {
        // The key outlived its retention: it belongs to whoever uses it next (checked again below).
        await this.jobs.releaseIdempotencyKey(result.job.id, newJob.idempotencyKey);
        continue;
      }
      if (result.job.requestFingerprint !== newJob.requestFingerprint) {
        throw new IdempotencyKeyReusedError(newJob.idempotencyKey, result.job.id);
      }
      return result;
    }
  }

  /**
   * The job is accepted once its row is committed. If Redis is down or slow the enqueue is left
   * to the workers' reconciliation sweep, which queues every `queued` row BullMQ does not hold.
   */
  private async enqueueOrLeaveToSweep(job: JobEntity): Promise<void> {
    const enqueued = this.queue.enqueue(job.id).catch((error: unknown) => {
      this.logger.warn({ jobId: job.id, err: error }, 'Could not enqueue the job now; the sweep will');
    });
    // A late enqueue may still land; that is harmless, the job id makes it idempotent.
    if (!(await settlesWithin(enqueued, ENQUEUE_TIMEOUT_MS))) {
      this.logger.warn(
        { jobId: job.id, timeoutMs: ENQUEUE_TIMEOUT_MS },
        'Enqueue is slow; the sweep will queue the job',
      );
    }
  }

  private checkWebhook(webhook: JobWebhookRecord | undefined): InputProblem[] {
    const refusal = webhook && this.webhooks.refuse(webhook.url);
    return refusal ? [{ field: 'webhook', message: refusal }] : [];
  }

  /** With an allow-list configured, only its models; a worker confirms a version belongs to its model. */
  private checkModel(model: string): InputProblem[] {
    if (modelAllowance(this.generatorSettings.allowedModels, model) !== 'refused') return [];
    return [{ field: 'model', message: `model ${model} is not allowed on this server` }];
  }

  /** The job, if `owner` may see it: another key's job is as unknown as a missing one. */
  async get(id: string, owner: string): Promise<JobEntity> {
    const job = await this.jobs.findOwned(id, owner);
    if (!job) throw new JobNotFoundError(id);
    return job;
  }

  /**
   * How many jobs wait ahead of each queued one among `jobs` (approximate; unknown ones are
   * missing). Best effort: Redis is asked briefly, and its absence leaves every position unknown.
   */
  queuePositions(jobs: readonly JobEntity[]): Promise<Map<string, number>> {
    return this.queue.queuePositions(jobs.filter((job) => job.status === 'queued'));
  }

  /** A page of the owner's jobs, newest first; stable while new jobs arrive. */
  async list(query: ListJobsQuery): Promise<JobPage> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.jobs.list({ ...query, after, limit: query.limit + 1 });
    const jobs = rows.slice(0, query.limit);
    const last = jobs.at(-1);
    return { jobs, nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null };
  }

  /** The webhook deliveries of a job the owner may see. */
  async deliveries(id: string, owner: string): Promise<WebhookDeliveryEntity[]> {
    await this.get(id, owner);
    return this.webhookDeliveries.listForJob(id);
  }

  /**
   * One of the job's recorded outputs; only files the job lists can be read. Retention empties the
   * list, so once a job's outputs expired every file name of it is reported gone, not unknown.
   */
  async findOutput(jobId: string, file: string, owner: string): Promise<JobOutputRecord> {
    if (!isSafeSegment(file)) throw new MediaNotFoundError(jobId, file);
    return this.outputOf(await this.get(jobId, owner), file);
  }

  /**
   * `findOutput` for whoever holds a capability token for the file (see MediaCapabilities) instead
   * of the owner's key. A token that does not grant the file is as unknown as a missing file.
   */
  async findGrantedOutput(jobId: string, file: string, token: string): Promise<JobOutputRecord> {
    if (!isSafeSegment(file) || !this.capabilities.grants(jobId, file, token)) {
      throw new MediaNotFoundError(jobId, file);
    }
    const job = await this.jobs.findById(jobId);
    if (!job) throw new JobNotFoundError(jobId);
    return this.outputOf(job, file);
  }

  private outputOf(job: JobEntity, file: string): JobOutputRecord {
    const output = publishedOutputs(job).find((candidate) => candidate.file === file);
    if (output) return output;
    if (job.outputsExpiredAt) throw new MediaExpiredError(job.id, job.outputsExpiredAt);
    throw new MediaNotFoundError(job.id, file);
  }

  /** Where to send the client instead of streaming the file, when the storage offers one (S3). */
  directOutputUrl(jobId: string, output: JobOutputRecord, serving: MediaServing): Promise<string | null> {
    return this.storage.directUrl(outputKey(jobId, output), serving);
  }

  async openOutput(jobId: string, output: JobOutputRecord): Promise<MediaObject> {
    const media = await this.storage.open(outputKey(jobId, output));
    if (!media) throw new MediaNotFoundError(jobId, output.file);
    return media;
  }
}
