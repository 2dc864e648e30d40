import { type AppConfig, appConfig } from '@app/config';
import { JobsService } from '@app/jobs';
import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Post, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ProblemDetails } from '../http/problem-details';
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
  @ApiOperation({ summary: 'Submit a generation job', description: 'Stores the job and queues it; answers at once.' })
  @ApiAcceptedResponse({ type: JobResource, description: 'Accepted; `Location` points at the job status' })
  @ApiBadRequestResponse({ type: ProblemDetails })
  @ApiServiceUnavailableResponse({ type: ProblemDetails })
  async generate(
    @Body() request: GenerateRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JobResource> {
    const job = await this.jobs.submit(request);
    reply.header('location', `/v1/status/${job.id}`);
    return toJobResource(job, this.app.publicBaseUrl);
  }

  @Get('status/:id')
  @ApiOperation({ summary: 'Read a job', description: 'The job as stored in PostgreSQL, with its outputs once done.' })
  @ApiOkResponse({ type: JobResource })
  @ApiBadRequestResponse({ type: ProblemDetails })
  @ApiNotFoundResponse({ type: ProblemDetails })
  async getStatus(@UuidParam('id') id: string): Promise<JobResource> {
    return toJobResource(await this.jobs.get(id), this.app.publicBaseUrl);
  }
}
