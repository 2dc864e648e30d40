import { QueueRedis } from '@app/queue';
import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { DataSource } from 'typeorm';

export interface HealthReport {
  httpStatus: 200 | 503;
  body: object;
}

const CHECK_TIMEOUT_MS = 1500;

/** Ready means: PostgreSQL answers, every migration is applied, and Redis answers. */
@Injectable()
export class Readiness {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly dataSource: DataSource,
    private readonly redis: QueueRedis,
  ) {}

  async report(): Promise<HealthReport> {
    try {
      const body = await this.health.check([
        () => this.database.pingCheck('database', { timeout: CHECK_TIMEOUT_MS }),
        () =>
          this.indicators
            .check('migrations')
            .attempt(async () => {
              if (await this.dataSource.showMigrations()) throw new Error('migrations are pending');
            })
            .withTimeout(CHECK_TIMEOUT_MS),
        () =>
          this.indicators
            .check('redis')
            .attempt(async () => {
              await this.redis.client.ping();
            })
            .withTimeout(CHECK_TIMEOUT_MS),
      ]);
      return { httpStatus: 200, body };
    } catch (error) {
      if (error instanceof ServiceUnavailableException) return { httpStatus: 503, body: error.getResponse() as object };
      throw error;
    }
  }
}
