import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { GENERATION_QUEUE, MAINTENANCE_QUEUE } from './generation-queue';
import { logRedisError } from './queue-redis';
import { WEBHOOK_QUEUE } from './webhook-queue';

/**
 * Listens to the `error` event of every queue this module registers: without a listener BullMQ
 * and ioredis print each failed reconnect to stderr, around the logger.
 */
@Injectable()
export class QueueErrorListeners implements OnModuleInit {
  private readonly logger = new Logger(QueueErrorListeners.name);

  constructor(
    @InjectQueue(GENERATION_QUEUE) private readonly generation: Queue,
    @InjectQueue(WEBHOOK_QUEUE) private readonly webhooks: Queue,
    @InjectQueue(MAINTENANCE_QUEUE) private readonly maintenance: Queue,
  ) {}

  onModuleInit(): void {
    for (const queue of [this.generation, this.webhooks, this.maintenance]) {
      queue.on('error', (error) => logRedisError(this.logger, `Queue ${queue.name} error`, error));
    }
  }
}
