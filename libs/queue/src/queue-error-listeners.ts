import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { GENERATION_QUEUE, MAINTENANCE_QUEUE } from './generation-queue';
import { logRedisError } from './queue-redis';
import { WEBHOOK_QUEUE } from './webhook-queue';

/**
 * Listens to the `error` event of every queue this module registers: without a listener BullMQ
 * and ioredis print each failed reconnect to stderr, around the logger. It listens from the
 * moment the queues exist (its constructor), not from module init: an app whose boot waits for
 * PostgreSQL holds its queues for a while before any `onModuleInit` runs.
 */
@Injectable()
export class QueueErrorListeners {
  private readonly logger = new Logger(QueueErrorListeners.name);

  constructor(
    @InjectQueue(GENERATION_QUEUE) generation: Queue,
    @InjectQueue(WEBHOOK_QUEUE) webhooks: Queue,
    @InjectQueue(MAINTENANCE_QUEUE) maintenance: Queue,
  ) {
    for (const queue of [generation, webhooks, maintenance]) {
      queue.on('error', (error) => logRedisError(this.logger, `Queue ${queue.name} error`, error));
    }
  }
}
