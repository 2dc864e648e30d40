import { MetricsRegistry, Readiness } from '@app/observability';
import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiExcludeController } from '../http/openapi-decorators';

/** Endpoints for orchestrators and Prometheus (not part of the public API contract). */
@ApiExcludeController()
@Controller()
export class OpsController {
  constructor(
    private readonly readiness: Readiness,
    private readonly metrics: MetricsRegistry,
  ) {}

  /** The process is up and serving HTTP. */
  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** PostgreSQL and Redis reachable, migrations applied; 503 otherwise. */
  @Get('health/ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<object> {
    const report = await this.readiness.report();
    reply.status(report.httpStatus);
    return report.body;
  }

  @Get('metrics')
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    reply.type(this.metrics.contentType());
    return this.metrics.render();
  }
}
