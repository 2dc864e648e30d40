import { type AppConfig, appConfig } from '@app/config';
import { JobsService } from '@app/jobs';
import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiProblemResponses } from '../http/api-problem-responses';
import { UuidParam } from '../http/uuid-param';
import { GenerateRequest } from './dto/generate-request.dto';
import { JobResource, toJobResource } from './dto/job-resource.dto';

@ApiTags('jobs')
@Controller('v1')
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
  ) {}

  @Post('generate')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Submit a generation job',
    description:
      'Validates the request, stores the job and queues it, then answers at once with the job in ' +
      'status `queued`. Follow it at the `Location` given, until its status is `succeeded` or `failed`.',
  })
  @ApiAcceptedResponse({
    type: JobResource,
    description: 'Accepted: the job is stored and queued',
    headers: { Location: { description: 'The job status URL, `/v1/status/{id}`', schema: { type: 'string' } } },
  })
  @ApiProblemResponses(400, 413, 415, 503)
  async generate(
    @Body() request: GenerateRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JobResource> {
    const job = await this.jobs.submit(request);
    reply.header('location', `/v1/status/${job.id}`);
    return toJobResource(job, this.app.publicBaseUrl);
  }

  @Get('status/:id')
  @ApiOperation({
    summary: 'Read a job',
    description:
      'The job as stored: status, attempts, the last error and, once succeeded, its outputs with ' +
      'absolute download URLs.',
  })
  @ApiParam({ name: 'id', description: 'The job id', format: 'uuid' })
  @ApiOkResponse({ type: JobResource, description: 'The job' })
  @ApiProblemResponses(400, 404, 503)
  async getStatus(@UuidParam('id') id: string): Promise<JobResource> {
    return toJobResource(await this.jobs.get(id), this.app.publicBaseUrl);
  }
}
