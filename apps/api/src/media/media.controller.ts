import { JobsService } from '@app/jobs';
import { Controller, Get, Headers, Param, Res, StreamableFile } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ProblemDetails } from '../http/problem-details';
import { UuidParam } from '../http/uuid-param';

const IMMUTABLE = 'public, max-age=31536000, immutable';

@ApiTags('media')
@Controller('v1/media')
export class MediaController {
  constructor(private readonly jobs: JobsService) {}

  @Get(':jobId/:file')
  @ApiOperation({ summary: 'Download an output', description: 'Streams one stored output of a job.' })
  @ApiProduces('image/png', 'application/octet-stream')
  @ApiOkResponse({ description: 'The file', schema: { type: 'string', format: 'binary' } })
  @ApiNotFoundResponse({ type: ProblemDetails })
  async getMedia(
    @UuidParam('jobId') jobId: string,
    @Param('file') file: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile | undefined> {
    const output = await this.jobs.findOutput(jobId, file);
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
