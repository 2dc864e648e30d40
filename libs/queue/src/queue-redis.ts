import { type QueueConfig, queueConfig } from '@app/config';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';

/** Our own Redis connections beside BullMQ's (pub/sub, counters), opened on first use. */
@Injectable()
export class QueueRedis implements OnApplicationShutdown {
  private readonly logger = new Logger(QueueRedis.name);
  private readonly connections: Redis[] = [];
  private shared?: Redis;

  constructor(@Inject(queueConfig.KEY) private readonly config: QueueConfig) {}

  /** The key prefix every key and channel of this deployment starts with. */
  key(...parts: string[]): string {
    return [this.config.prefix, ...parts].join(':');
  }

  /** A connection for plain commands, shared by its users. */
  get client(): Redis {
    this.shared ??= this.open();
    return this.shared;
  }

  /** A connection of its own, for a subscriber (which can run no other command). */
  open(): Redis {
    const connection = new Redis(this.config.redisUrl, { maxRetriesPerRequest: 1 });
    connection.on('error', (error) => this.logger.warn({ err: error }, 'Redis connection error'));
    this.connections.push(connection);
    return connection;
  }

  onApplicationShutdown(): void {
    for (const connection of this.connections) connection.disconnect();
  }
}
