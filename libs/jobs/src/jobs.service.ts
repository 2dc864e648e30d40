import { type GeneratorConfig, generatorConfig, type QueueConfig, queueConfig } from '@app/config';
import { type JobEntity, type JobOutputRecord, JobsRepository } from '@app/database';
import { GenerationQueueProducer } from '@app/queue';
import { type InputProblem, MediaGenerator } from '@app/replicate';
import { isSafeSegment, type MediaObject, MediaStorage, mediaKey } from '@app/storage';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InvalidJobInputError, JobNotFoundError, MediaNotFoundError } from './jobs.errors';

export interface SubmitJobCommand {
  prompt: string;
  model?: string;
  input?: Record<string, unknown>;
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
  ) {}

  /** Stores the job, then enqueues it; the row is committed before any worker can see the job. */
  async submit(command: SubmitJobCommand): Promise<JobEntity> {
    const model = command.model ?? this.generatorSettings.defaultModel;
    const input = command.input ?? {};
    const problems = [...this.checkModel(model), ...this.generator.checkInput(model, input)];
    if (problems.length > 0) throw new InvalidJobInputError(problems);

    const job = await this.jobs.insert({
      prompt: command.prompt,
      model,
      input,
      maxAttempts: this.queueSettings.attempts,
    });
    await this.enqueueOrLeaveToSweep(job);
    return job;
  }

  /**
   * The job is accepted once its row is committed. If Redis is down or slow the enqueue is left
   * to the workers' reconciliation sweep, which queues every `queued` row BullMQ does not hold.
   */
  private async enqueueOrLeaveToSweep(job: JobEntity): Promise<void> {
    const enqueue = this.queue.enqueue(job.id, job.maxAttempts);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`enqueue took over ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
    });
    try {
      await Promise.race([enqueue, timeout]);
    } catch (error) {
      // A late enqueue may still land; that is harmless, the job id makes it idempotent.
      enqueue.catch(() => undefined);
      this.logger.warn({ jobId: job.id, err: error }, 'Could not enqueue the job now; the sweep will');
    } finally {
      clearTimeout(timer);
    }
  }

  /** With an allow-list configured, only its models (`owner/name` allows every version). */
  private checkModel(model: string): InputProblem[] {
    const allowed = this.generatorSettings.allowedModels;
    if (allowed.length === 0 || allowed.includes(model) || allowed.includes(model.split(':')[0])) return [];
    return [{ field: 'model', message: `model ${model} is not allowed on this server` }];
  }

  async get(id: string): Promise<JobEntity> {
    const job = await this.jobs.findById(id);
    if (!job) throw new JobNotFoundError(id);
    return job;
  }

  /** One of the job's recorded outputs; only files the job lists can be read. */
  async findOutput(jobId: string, file: string): Promise<JobOutputRecord> {
    if (!isSafeSegment(file)) throw new MediaNotFoundError(jobId, file);
    const job = await this.get(jobId);
    const output = job.outputs.find((candidate) => candidate.file === file);
    if (!output) throw new MediaNotFoundError(jobId, file);
    return output;
  }

  async openOutput(jobId: string, output: JobOutputRecord): Promise<MediaObject> {
    const media = await this.storage.open(mediaKey(jobId, output.file));
    if (!media) throw new MediaNotFoundError(jobId, output.file);
    return media;
  }
}
