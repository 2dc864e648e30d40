import { type AuthConfig, authConfig } from '@app/config';
import { JobsService, mediaServing, SERVED_CONTENT_TYPES } from '@app/jobs';
import { Controller, Get, Headers, Inject, Param, Query, Res, StreamableFile, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiKeyGuard, Owner } from '../http/api-key.guard';
import { ApiProblemResponses } from '../http/api-problem-responses';
import { headerDoc } from '../http/header-doc';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '../http/openapi-decorators';
import { UuidParam } from '../http/uuid-param';
import { MediaExpiredProblem } from './media-expired.problem';

const FOREVER = 'max-age=31536000, immutable';

const SECURITY_HEADERS_DOC = {
  'X-Content-Type-Options': headerDoc('`nosniff`, on every media answer'),
  'Content-Security-Policy': headerDoc(
    '`sandbox`, on every media answer: a stored document can never run script on this origin',
  ),
};

@ApiTags('media')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@ApiExtraModels(MediaExpiredProblem)
@Controller('v1/media')
export class MediaController {
  /** Shared caches may keep media only while anyone may read it. */
  private readonly cacheControl: string;

  constructor(
    private readonly jobs: JobsService,
    @Inject(authConfig.KEY) auth: AuthConfig,
  ) {
    const keysOn = Object.keys(auth.keyOwnersByHash).length > 0;
    this.cacheControl = `${keysOn ? 'private' : 'public'}, ${FOREVER}`;
  }

  @Get(':jobId/:file')
  @ApiOperation({
    summary: 'Download an output',
    description:
      'Streams one output of a job, as listed in its `outputs`. Files never change: the `ETag` is ' +
      'their SHA-256 and they may be cached for good. Images, audio, video and JSON are served inline ' +
      'as their own type; every other type (HTML, SVG, XML, text, unknown) as `application/octet-stream` ' +
      'with `Content-Disposition: attachment`.',
  })
  @ApiParam({ name: 'jobId', description: 'The job id', format: 'uuid' })
  @ApiParam({ name: 'file', description: 'The output file name, e.g. `0.png`', example: '0.png' })
  @ApiQuery({
    name: 'token',
    required: false,
    description:
      'A capability token for this one file, instead of the API key: output URLs of predictions ' +
      '(`/v1/predictions`) carry one, since Replicate clients fetch outputs without a key',
  })
  @ApiResponse({
    status: 200,
    description: 'The file: an allowed image, audio, video or JSON type inline, anything else as a download',
    content: Object.fromEntries(
      SERVED_CONTENT_TYPES.map((type) => [type, { schema: { type: 'string', format: 'binary' } }]),
    ),
    headers: {
      ETag: headerDoc('The quoted SHA-256 of the file'),
      'Cache-Control': headerDoc('`public, max-age=31536000, immutable`; `private, …` when API keys are on'),
      'Content-Disposition': headerDoc(
        '`inline; filename="0.png"`, or `attachment; filename="0.html"` for types not served inline',
      ),
      ...SECURITY_HEADERS_DOC,
    },
  })
  @ApiResponse({
    status: 304,
    description: 'Not modified: `If-None-Match` matches the ETag',
    headers: SECURITY_HEADERS_DOC,
  })
  @ApiResponse({
    status: 302,
    description:
      'With S3 storage: a redirect to a presigned URL, valid S3_URL_TTL_SECONDS, that answers with the ' +
      'same content type and disposition as the api would',
    headers: {
      Location: headerDoc('The presigned download URL', { type: 'string', format: 'uri' }),
      ...SECURITY_HEADERS_DOC,
    },
  })
  @ApiResponse({
    status: 410,
    description: "Retention removed the job's outputs (`media_expired`); `outputsExpiredAt` says when",
    content: { 'application/problem+json': { schema: { $ref: getSchemaPath(MediaExpiredProblem) } } },
  })
  @ApiProblemResponses(400, 401, 404, 503)
  async getMedia(
    @UuidParam('jobId') jobId: string,
    @Param('file') file: string,
    @Owner() owner: string,
    @Query('token') token: unknown,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile | undefined> {
    const output =
      typeof token === 'string'
        ? await this.jobs.findGrantedOutput(jobId, file, token)
        : await this.jobs.findOutput(jobId, file, owner);
    const serving = mediaServing(output.contentType, output.file);
    const direct = await this.jobs.directOutputUrl(jobId, output, serving);
    if (direct) {
      // S3: a short-lived presigned URL, so media bytes never pass through the api.
      reply.status(302).header('location', direct).header('cache-control', 'private, no-store');
      return undefined;
    }
    const etag = `"${output.sha256}"`;
    reply.header('etag', etag).header('cache-control', this.cacheControl);
    if (ifNoneMatch === etag) {
      reply.status(304);
      return undefined;
    }
    const media = await this.jobs.openOutput(jobId, output);
    return new StreamableFile(media.stream, {
      type: serving.contentType,
      disposition: serving.disposition,
      length: media.bytes,
    });
  }
}
