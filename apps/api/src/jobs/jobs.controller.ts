import { type AppConfig, appConfig } from '@app/config';
import { isTerminal, JobControlService, type JobEntity, JobStreams, JobsService } from '@app/jobs';
import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Inject,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiKeyGuard, Owner } from '../http/api-key.guard';
import { ApiProblemResponses } from '../http/api-problem-responses';
import { headerDoc } from '../http/header-doc';
import { parseIdempotencyKey } from '../http/idempotency-key';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiExtraModels,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '../http/openapi-decorators';
import { PreferHeader, waitAsPreferred } from '../http/prefer-wait';
import { RequestValidationException } from '../http/request-validation';
import { serveEventStream } from '../http/server-sent-events';
import { SubmitRateLimitGuard } from '../http/submit-rate-limit.guard';
import { UuidParam } from '../http/uuid-param';
import { GenerateRequest } from './dto/generate-request.dto';
import { JobPage, JobProgress, JobResource, toJobResource } from './dto/job-resource.dto';
import { ListJobsQuery } from './dto/list-jobs-query.dto';
import { toWebhookDelivery, WebhookDeliveryList } from './dto/webhook-delivery.dto';

/** Headers of every answer to a submit, 202 or 200. */
const SUBMIT_HEADERS = {
  Location: headerDoc('The job URL, `/v1/jobs/{id}`'),
  'RateLimit-Limit': headerDoc('Submissions allowed per minute for this key', { type: 'integer' }),
  'RateLimit-Remaining': headerDoc('Submissions left in this window', { type: 'integer' }),
  'RateLimit-Reset': headerDoc('Seconds until the window resets', { type: 'integer' }),
  'Idempotent-Replayed': headerDoc('`true` when an earlier request with the same Idempotency-Key made this job'),
  'Preference-Applied': headerDoc('`wait=N` when the answer waited as `Prefer` asked'),
};

/** The body Swagger UI's "Try it out" starts from: it runs as is (no webhook, no model the server may refuse). */
const SUBMIT_EXAMPLES = {
  fox: {
    summary: 'A prompt with mock inputs',
    value: { prompt: 'a red fox in fresh snow, golden hour', input: { width: 512, height: 512, seed: 7 } },
  },
};

const PREFERENCE_APPLIED = { 'Preference-Applied': SUBMIT_HEADERS['Preference-Applied'] };

const PREFER_HEADER = {
  name: 'Prefer',
  required: false,
  description:
    '`wait=N` holds the answer until the job is terminal or N seconds (at most 60) passed; a bare ' +
    '`wait` means 60. Past the ' +
    'concurrent wait caps the answer comes at once, without `Preference-Applied`. Example: `wait=30`',
};

const EVENT_STREAM_EXAMPLE = [
  ': keep-alive',
  '',
  'id: 1795600004200-',
  'event: progress',
  'data: {"percent":45,"message":"step 9/20","updatedAt":"2026-11-25T10:00:04.200Z"}',
  '',
  '',
].join('\n');

@ApiTags('jobs')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1')
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly control: JobControlService,
    private readonly streams: JobStreams,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
  ) {}

  @Post('generate')
  @HttpCode(HttpStatus.ACCEPTED)
  @UseGuards(SubmitRateLimitGuard)
  @ApiOperation({
    summary: 'Submit a generation job',
    description:
      'Validates the request, stores the job and queues it, then answers at once with the job in ' +
      'status `queued` (`202`). Follow it at the `Location` given, until its status is `succeeded`, ' +
      '`failed` or `canceled`. With an `Idempotency-Key`, repeating the same request returns the ' +
      'same job (`Idempotent-Replayed: true`) and reusing the key for another request is a `422`. ' +
      'With `Prefer: wait=N` the answer waits for the job to finish (then `200`).',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'A key unique to this request (1–255 visible characters, e.g. a fresh UUID), kept for ' +
      'IDEMPOTENCY_TTL_HOURS; reusing it for a different request is a `422`',
  })
  @ApiBody({ type: GenerateRequest, examples: SUBMIT_EXAMPLES })
  @ApiHeader(PREFER_HEADER)
  @ApiAcceptedResponse({
    type: JobResource,
    description: 'Accepted: the job is stored and queued (or, replayed, still running)',
    headers: SUBMIT_HEADERS,
  })
  @ApiOkResponse({
    type: JobResource,
    description: 'The job is already terminal (after a wait, or replayed)',
    headers: SUBMIT_HEADERS,
  })
  @ApiProblemResponses(400, 401, 413, 415, 422, 429, 503)
  async generate(
    @Body() request: GenerateRequest,
    @Owner() owner: string,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @PreferHeader() prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JobResource> {
    if (request.webhookEvents && !request.webhook) {
      throw new RequestValidationException([{ field: 'webhookEvents', message: 'webhookEvents needs a webhook' }]);
    }
    const { job, replayed } = await this.jobs.submit({
      owner,
      prompt: request.prompt,
      model: request.model,
      input: request.input,
      idempotencyKey: parseIdempotencyKey(idempotencyKey),
      webhook: request.webhook ? { url: request.webhook, events: request.webhookEvents ?? ['completed'] } : undefined,
    });
    reply.header('location', `/v1/jobs/${job.id}`);
    if (replayed) reply.header('idempotent-replayed', 'true');
    return this.answer(await waitAsPreferred(this.control, job, owner, prefer, reply), reply);
  }

  @Get('jobs/:id/events')
  @ApiOperation({
    summary: 'Watch a job live',
    description:
      'A Server-Sent Events stream (`text/event-stream`) of the job: first its current state, then an ' +
      'event for each change, and finally the terminal job, after which the stream ends. Events:\n\n' +
      '- `status`: data is the whole job (`JobResource`), sent first and whenever its status, attempt, ' +
      'error or queue position changes (a retry shows as `queued` again, with the last error);\n' +
      "- `progress`: data is the running attempt's progress (`JobProgress`), at most about once a second;\n" +
      '- `done`: data is the terminal job (`JobResource`); the stream ends after it (an `EventSource` ' +
      'should be closed then, or it reconnects).\n\n' +
      'Every event has an `id`; reconnecting with `Last-Event-ID` skips the current state if the client ' +
      'already has it, otherwise it is sent again. A comment (`: keep-alive`) comes every 15 s. Works on ' +
      'any api replica. Each open stream counts toward the `Prefer: wait` caps; past them the stream sends ' +
      'the current state, a `retry` hint, and ends.',
  })
  @ApiParam({ name: 'id', description: 'The job id', format: 'uuid' })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'The `id` of the last event received, when reconnecting',
    example: '1795600004200-',
  })
  @ApiProduces('text/event-stream')
  @ApiExtraModels(JobProgress)
  @ApiOkResponse({
    description:
      'The event stream. Each event is `id`, `event` (`status`, `progress` or `done`) and one line of JSON ' +
      `\`data\`: a [JobResource](${getSchemaPath(JobResource)}) for \`status\` and \`done\`, a ` +
      `[JobProgress](${getSchemaPath(JobProgress)}) for \`progress\``,
    content: {
      'text/event-stream': {
        schema: { type: 'string', description: 'Server-Sent Events (see the description)' },
        example: EVENT_STREAM_EXAMPLE,
      },
    },
  })
  @ApiProblemResponses(400, 401, 404, 503)
  async watchJob(
    @UuidParam('id') id: string,
    @Owner() owner: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await serveEventStream(reply, (sink) => this.streams.open(id, owner, lastEventId, sink));
  }

  @Get('jobs/:id')
  @ApiOperation({
    summary: 'Read a job',
    description:
      'The job as stored: status, attempts, the last error and, once succeeded, its outputs with ' +
      'absolute download URLs. With `Prefer: wait=N` the answer waits for the job to finish.',
  })
  @ApiParam({ name: 'id', description: 'The job id', format: 'uuid' })
  @ApiHeader(PREFER_HEADER)
  @ApiOkResponse({ type: JobResource, description: 'The job', headers: PREFERENCE_APPLIED })
  @ApiProblemResponses(400, 401, 404, 503)
  getJob(
    @UuidParam('id') id: string,
    @Owner() owner: string,
    @PreferHeader() prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JobResource> {
    return this.getStatus(id, owner, prefer, reply);
  }

  @Get('status/:id')
  @ApiOperation({
    summary: 'Read a job (older path)',
    description: 'The same as `GET /v1/jobs/{id}`, kept for existing clients.',
  })
  @ApiParam({ name: 'id', description: 'The job id', format: 'uuid' })
  @ApiHeader(PREFER_HEADER)
  @ApiOkResponse({ type: JobResource, description: 'The job', headers: PREFERENCE_APPLIED })
  @ApiProblemResponses(400, 401, 404, 503)
  async getStatus(
    @UuidParam('id') id: string,
    @Owner() owner: string,
    @PreferHeader() prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JobResource> {
    const job = await waitAsPreferred(this.control, await this.jobs.get(id, owner), owner, prefer, reply);
    return this.present(job, await this.jobs.queuePositions([job]));
  }

  @Get('jobs')
  @ApiOperation({
    summary: 'List jobs',
    description:
      "The caller's jobs, newest first, filtered by status, model and creation time. Follow `next` " +
      'for the following page; pages stay stable while new jobs arrive.',
  })
  @ApiOkResponse({ type: JobPage, description: 'One page of jobs' })
  @ApiProblemResponses(400, 401, 503)
  async listJobs(@Query() query: ListJobsQuery, @Owner() owner: string): Promise<JobPage> {
    const page = await this.jobs.list({ ...query, statuses: query.status, owner });
    const positions = await this.jobs.queuePositions(page.jobs);
    return {
      data: page.jobs.map((job) => this.present(job, positions)),
      next: page.nextCursor ? nextPagePath(query, page.nextCursor) : null,
      nextCursor: page.nextCursor ?? null,
    };
  }

  @Post('jobs/:id/cancel')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Cancel a job',
    description:
      'A queued job leaves the queue; a running one is stopped on whichever worker runs it, its ' +
      'upstream prediction canceled and its partial outputs removed. Either way its status becomes ' +
      '`canceled`. A job that already ended is a `409`.',
  })
  @ApiParam({ name: 'id', description: 'The job id', format: 'uuid' })
  @ApiOkResponse({ type: JobResource, description: 'The canceled job' })
  @ApiProblemResponses(400, 401, 404, 409, 503)
  async cancelJob(@UuidParam('id') id: string, @Owner() owner: string): Promise<JobResource> {
    return toJobResource(await this.control.cancel(id, owner), this.app.publicBaseUrl);
  }

  @Get('jobs/:id/deliveries')
  @ApiOperation({
    summary: "List a job's webhook deliveries",
    description: 'Each webhook event of the job: its status, attempts, last status code and error, next retry.',
  })
  @ApiParam({ name: 'id', description: 'The job id', format: 'uuid' })
  @ApiOkResponse({ type: WebhookDeliveryList, description: 'The deliveries, oldest first' })
  @ApiProblemResponses(400, 401, 404, 503)
  async listDeliveries(@UuidParam('id') id: string, @Owner() owner: string): Promise<WebhookDeliveryList> {
    return { data: (await this.jobs.deliveries(id, owner)).map(toWebhookDelivery) };
  }

  /**
   * 200 once the job is terminal, 202 while it still runs. Without a queue position: asking Redis
   * for it would add a round trip to every submit, and the job's first read gives it.
   */
  private answer(job: JobEntity, reply: FastifyReply): JobResource {
    if (isTerminal(job.status)) reply.status(HttpStatus.OK);
    return toJobResource(job, this.app.publicBaseUrl);
  }

  private present(job: JobEntity, queuePositions: Map<string, number>): JobResource {
    return toJobResource(job, this.app.publicBaseUrl, queuePositions.get(job.id) ?? null);
  }
}

function nextPagePath(query: ListJobsQuery, cursor: string): string {
  const params = new URLSearchParams();
  if (query.status?.length) params.set('status', query.status.join(','));
  if (query.model) params.set('model', query.model);
  if (query.createdAfter) params.set('createdAfter', query.createdAfter.toISOString());
  if (query.createdBefore) params.set('createdBefore', query.createdBefore.toISOString());
  params.set('limit', String(query.limit));
  params.set('cursor', cursor);
  return `/v1/jobs?${params}`;
}
