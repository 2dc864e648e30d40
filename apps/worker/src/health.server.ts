import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AppConfig, appConfig, type QueueConfig, queueConfig } from '@app/config';
import { MetricsRegistry, Readiness } from '@app/observability';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';

/**
 * The worker's small HTTP port for orchestrators and Prometheus: /health/live, /health/ready,
 * /metrics (unauthenticated, like the api's). It binds HOST, as the api does, not every interface.
 */
@Injectable()
export class HealthServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(HealthServer.name);
  private server?: Server;

  constructor(
    private readonly readiness: Readiness,
    private readonly metrics: MetricsRegistry,
    @Inject(queueConfig.KEY) private readonly config: QueueConfig,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
  ) {}

  /** The bound address and port (the port is useful when WORKER_HEALTH_PORT is 0). */
  get address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }

  get port(): number | undefined {
    return this.address?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.server = createServer((request, response) => {
      this.answer(request.url ?? '')
        .then(({ status, type, body }) => response.writeHead(status, { 'content-type': type }).end(body))
        .catch((error: unknown) => {
          this.logger.error({ err: error }, 'Health endpoint failed');
          response.writeHead(500).end();
        });
    });
    await new Promise<void>((resolve) => this.server?.listen(this.config.healthPort, this.app.host, resolve));
    this.logger.log({ host: this.app.host, port: this.port }, 'Health and metrics listening');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined));
  }

  private async answer(url: string): Promise<{ status: number; type: string; body: string }> {
    const path = url.split('?')[0];
    if (path === '/health/live') return { status: 200, type: 'application/json', body: '{"status":"ok"}' };
    if (path === '/health/ready') {
      const report = await this.readiness.report();
      return { status: report.httpStatus, type: 'application/json', body: JSON.stringify(report.body) };
    }
    if (path === '/metrics')
      return { status: 200, type: this.metrics.contentType(), body: await this.metrics.render() };
    return { status: 404, type: 'application/json', body: '{"status":404,"title":"Not Found"}' };
  }
}
