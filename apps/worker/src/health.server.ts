import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AppConfig, appConfig, type QueueConfig, queueConfig } from '@app/config';
import { type HealthListening, MetricsRegistry, Readiness } from '@app/observability';
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

  /** The bound address and port (the port is useful when WORKER_HEALTH_PORT is 0 or was taken). */
  get address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }

  get port(): number | undefined {
    return this.address?.port;
  }

  /** The port taken and the one configured, for the ready line; null when WORKER_HEALTH_PORT=off. */
  get listening(): HealthListening {
    const port = this.port;
    return port === undefined || this.config.healthPort === null ? null : { port, configured: this.config.healthPort };
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.healthPort === null) return;
    this.server = createServer((request, response) => {
      this.answer(request.url ?? '')
        .then(({ status, type, body }) => response.writeHead(status, { 'content-type': type }).end(body))
        .catch((error: unknown) => {
          this.logger.error({ err: error }, 'Health endpoint failed');
          response.writeHead(500).end();
        });
    });
    try {
      await this.listen(this.config.healthPort);
    } catch (error) {
      // Another worker on this host holds the port: take any free one (the ready line says which).
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      await this.listen(0);
    }
    this.logger.debug({ host: this.app.host, port: this.port }, 'Health and metrics listening');
  }

  private listen(port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const server = this.server as Server;
      const fail = (error: Error) => reject(error);
      server.once('error', fail);
      server.listen(port, this.app.host, () => {
        server.off('error', fail);
        resolve();
      });
    });
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
