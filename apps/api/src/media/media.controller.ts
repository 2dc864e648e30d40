import { JobsService } from '@app/jobs';
import { Controller, Get, Headers, Param, Res, StreamableFile, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiKeyGuard, Owner } from '../http/api-key.guard';
import { ApiProblemResponses } from '../http/api-problem-responses';
import { UuidParam } from '../http/uuid-param';

const IMMUTABLE = 'public, max-age=31536000, immutable';

@ApiTags('media')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/media')
export class MediaController {
  constructor(private readonly jobs: JobsService) {}

  @Get(':jobId/:file')
  @ApiOperation({
    summary: 'Download an output',
    description:
      'Streams one output of a job, as listed in its `outputs`. Files never change: the `ETag` is ' +
      'their SHA-256 and they may be cached for good.',
  })
  @ApiParam({ name: 'jobId', description: 'The job id', format: 'uuid' })
  @ApiParam({ name: 'file', description: 'The output file name, e.g. `0.png`', example: '0.png' })
  @ApiResponse({
    status: 200,
    description: 'The file, with its media type (image, video, audio…)',
    content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    headers: {
      ETag: { description: 'The quoted SHA-256 of the file', schema: { type: 'string' } },
      'Cache-Control': { description: '`public, max-age=31536000, immutable`', schema: { type: 'string' } },
    },
  })
  @ApiResponse({ status: 304, description: 'Not modified: `If-None-Match` matches the ETag' })
  @ApiResponse({
    status: 302,
    description: 'With S3 storage: a redirect to a presigned URL, valid S3_URL_TTL_SECONDS',
    headers: { Location: { description: 'The presigned download URL', schema: { type: 'string', format: 'uri' } } },
  })
  @ApiProblemResponses(400, 401, 404, 503)
  async getMedia(
    @UuidParam('jobId') jobId: string,
    @Param('file') file: string,
    @Owner() owner: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile | undefined> {
    const output = await this.jobs.findOutput(jobId, file, owner);
    const direct = await this.jobs.directOutputUrl(jobId, output);
    if (direct) {
      // S3: a short-lived presigned URL, so media bytes never pass through the api.
      reply.status(302).header('location', direct).header('cache-control', 'private, no-store');
      return undefined;
    }
    const etag = `"${output.sha256}"`;
    reply.header('etag', etag).header('cache-control', IMMUTABLE);
    if (ifNoneMatch === etag) {
      reply.status(304);
      return undefined;
    }
    const media = await this.jobs.openOutput(jobId, output);
    return new StreamableFile(media.stream, { type: output.contentType, length: media.bytes });
  }
}
