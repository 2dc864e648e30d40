import { type AppConfig, appConfig, type GeneratorConfig, generatorConfig } from '@app/config';
import {
  DEFAULT_PREDICTION_WEBHOOK_EVENTS,
  JobControlService,
  JobsService,
  modelForVersion,
  PredictionPresenter,
  type PredictionView,
  splitPredictionInput,
} from '@app/jobs';
import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Inject,
  Param,
  type PipeTransform,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiKeyGuard, Owner } from '../http/api-key.guard';
import { ApiProblemResponses } from '../http/api-problem-responses';
import { parseIdempotencyKey } from '../http/idempotency-key';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '../http/openapi-decorators';
import { PreferHeader, waitAsPreferred } from '../http/prefer-wait';
import { RequestValidationException } from '../http/request-validation';
import { SubmitRateLimitGuard } from '../http/submit-rate-limit.guard';
import { UuidParam } from '../http/uuid-param';
import { ListPredictionsQuery } from './dto/list-predictions-query.dto';
import { Prediction, PredictionPage } from './dto/prediction.dto';
import { ModelPredictionRequest, PredictionRequest } from './dto/prediction-request.dto';

const CREATE_HEADERS = [
  {
    name: 'Prefer',
    required: false,
    description:
      'As Replicate: `wait` holds the answer up to 60 s, `wait=N` up to N seconds (at most 60), until the ' +
      'prediction ended; it may come back still `starting` or `processing`',
  },
  {
    name: 'Idempotency-Key',
    required: false,
    description:
      'A key unique to this request (1–255 visible characters); repeating the request with it returns ' +
      'the same prediction, reusing it for another request is a `422`',
  },
];

const CREATE_DESCRIPTION =
  "Replicate's create call, answered with the prediction (`201`) in Replicate's shape. It becomes a job " +
  'of this server, with its retries, durable outputs and per-key isolation. The prompt is `input.prompt`.';

/** An owner or name segment of a model, as in `owner/name`. */
const MODEL_SEGMENT: PipeTransform<string, string> = {
  transform: (value) => {
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(value)) {
      throw new RequestValidationException([
        { field: 'model', message: 'owner and name may hold only letters, digits, `.`, `_` and `-`' },
      ]);
    }
    return value;
  },
};

/**
 * Replicate's prediction API over the job domain, so Replicate's own clients work by changing
 * their base URL to this server's `/v1` and their token to an API key of it. Errors are this
 * API's problems, which carry Replicate's `detail` and `status`.
 */
@ApiTags('predictions')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1')
export class PredictionsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly control: JobControlService,
    private readonly predictions: PredictionPresenter,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
    @Inject(generatorConfig.KEY) private readonly generator: GeneratorConfig,
  ) {}

  @Post('predictions')
  @HttpCode(HttpStatus.CREATED)
  @UseGuards(SubmitRateLimitGuard)
  @ApiOperation({
    summary: 'Create a prediction (Replicate-compatible)',
    description: `${CREATE_DESCRIPTION} \`version\` is \`owner/name:version\`, \`owner/name\`, or a bare version id that an entry of REPLICATE_ALLOWED_MODELS pins (else \`422\`).`,
  })
  @ApiHeader(CREATE_HEADERS[0])
  @ApiHeader(CREATE_HEADERS[1])
  @ApiCreatedResponse({ type: Prediction, description: 'The prediction' })
  @ApiProblemResponses(400, 401, 413, 415, 422, 429, 503)
  createPrediction(
    @Body() request: PredictionRequest,
    @Owner() owner: string,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @PreferHeader() prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PredictionView> {
    const model = modelForVersion(this.generator.allowedModels, request.version);
    return this.create(model, request, owner, idempotencyKey, prefer, reply);
  }

  @Post('models/:owner/:name/predictions')
  @HttpCode(HttpStatus.CREATED)
  @UseGuards(SubmitRateLimitGuard)
  @ApiOperation({
    summary: "Create a prediction of a model's latest version (Replicate-compatible)",
    description: CREATE_DESCRIPTION,
  })
  @ApiParam({ name: 'owner', example: 'black-forest-labs' })
  @ApiParam({ name: 'name', example: 'flux-schnell' })
  @ApiHeader(CREATE_HEADERS[0])
  @ApiHeader(CREATE_HEADERS[1])
  @ApiCreatedResponse({ type: Prediction, description: 'The prediction' })
  @ApiProblemResponses(400, 401, 413, 415, 422, 429, 503)
  createModelPrediction(
    @Param('owner', MODEL_SEGMENT) modelOwner: string,
    @Param('name', MODEL_SEGMENT) name: string,
    @Body() request: ModelPredictionRequest,
    @Owner() owner: string,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @PreferHeader() prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PredictionView> {
    return this.create(`${modelOwner}/${name}`, request, owner, idempotencyKey, prefer, reply);
  }

  @Get('predictions/:id')
  @ApiOperation({
    summary: 'Read a prediction (Replicate-compatible)',
    description: "The caller's job, made through either API, as a prediction; another key's is a `404`.",
  })
  @ApiParam({ name: 'id', description: 'The prediction (job) id', format: 'uuid' })
  @ApiOkResponse({ type: Prediction, description: 'The prediction' })
  @ApiProblemResponses(400, 401, 404, 503)
  async getPrediction(@UuidParam('id') id: string, @Owner() owner: string): Promise<PredictionView> {
    return this.predictions.present(await this.jobs.get(id, owner));
  }

  @Post('predictions/:id/cancel')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Cancel a prediction (Replicate-compatible)',
    description: 'Cancels the job as `POST /v1/jobs/{id}/cancel` does; one that already ended is a `409`.',
  })
  @ApiParam({ name: 'id', description: 'The prediction (job) id', format: 'uuid' })
  @ApiOkResponse({ type: Prediction, description: 'The canceled prediction' })
  @ApiProblemResponses(400, 401, 404, 409, 503)
  async cancelPrediction(@UuidParam('id') id: string, @Owner() owner: string): Promise<PredictionView> {
    return this.predictions.present(await this.control.cancel(id, owner));
  }

  @Get('predictions')
  @ApiOperation({
    summary: 'List predictions (Replicate-compatible)',
    description:
      "The caller's jobs (made through either API) as predictions, newest first; follow `next` for the " +
      'following page.',
  })
  @ApiOkResponse({ type: PredictionPage, description: 'One page of predictions' })
  @ApiProblemResponses(400, 401, 503)
  async listPredictions(@Query() query: ListPredictionsQuery, @Owner() owner: string): Promise<PredictionPage> {
    const page = await this.jobs.list({ owner, limit: query.limit, cursor: query.cursor });
    return {
      results: page.jobs.map((job) => this.predictions.present(job)),
      next: page.nextCursor ? this.nextPageUrl(query, page.nextCursor) : null,
      previous: null,
    };
  }

  private async create(
    model: string,
    request: ModelPredictionRequest,
    owner: string,
    idempotencyKey: string | undefined,
    prefer: string | undefined,
    reply: FastifyReply,
  ): Promise<PredictionView> {
    const { prompt, input } = splitPredictionInput(request.input);
    const webhook = request.webhook
      ? {
          url: request.webhook,
          events: request.webhook_events_filter ?? DEFAULT_PREDICTION_WEBHOOK_EVENTS,
          payload: 'prediction' as const,
        }
      : undefined;
    const { job, replayed } = await this.jobs.submit({
      owner,
      prompt,
      model,
      input,
      idempotencyKey: parseIdempotencyKey(idempotencyKey),
      webhook,
    });
    const prediction = this.predictions.present(await waitAsPreferred(this.control, job, owner, prefer, reply));
    reply.header('location', prediction.urls.get);
    if (replayed) reply.header('idempotent-replayed', 'true');
    return prediction;
  }

  private nextPageUrl(query: ListPredictionsQuery, cursor: string): string {
    const params = new URLSearchParams({ cursor });
    if (query.limit !== new ListPredictionsQuery().limit) params.set('limit', String(query.limit));
    return `${this.app.publicBaseUrl}/v1/predictions?${params}`;
  }
}
