import { type GeneratorConfig, generatorConfig, type QueueConfig, queueConfig } from '@app/config';
import { type JobEntity, type JobOutputRecord, JobsRepository } from '@app/database';
import { GenerationQueueProducer } from '@app/queue';
import { type InputProblem, MediaGenerator } from '@app/replicate';
import { isSafeSegment, type MediaObject, MediaStorage, mediaKey } from '@app/storage';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InvalidJobInputError, JobNotFoundError, MediaNotFoundError, QueueUnavailableError } from './jobs.errors';

export interface SubmitJobCommand {
  prompt: string;
  model?: string;
  input?: Record<string, unknown>;
}

const ENQUEUE_RETRY_AFTER_SECONDS = 5;

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
    try {
      await this.queue.enqueue(job.id, job.maxAttempts);
    } catch (error) {
      this.logger.error({ jobId: job.id, err: error }, 'Could not enqueue job');
      // Without a queue entry no worker would ever take the job: end it rather than leave it stuck.
      await this.jobs.updateIf(
        job.id,
        { from: ['queued'] },
        {
          status: 'failed',
          error: { code: 'queue_unavailable', message: 'The job could not be queued', retryable: true },
          markCompleted: true,
        },
      );
      throw new QueueUnavailableError(ENQUEUE_RETRY_AFTER_SECONDS);
    }
    return job;
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
