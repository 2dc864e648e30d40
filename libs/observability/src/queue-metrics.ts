import { GENERATION_QUEUE, WEBHOOK_QUEUE } from '@app/queue';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { Gauge } from 'prom-client';
import { MetricsRegistry } from './metrics-registry';

const STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized'] as const;

/** Queue depth by state, read from Redis at scrape time: the signal to autoscale workers on. */
@Injectable()
export class QueueMetrics {
  constructor(
    metrics: MetricsRegistry,
    @InjectQueue(GENERATION_QUEUE) generation: Queue,
    @InjectQueue(WEBHOOK_QUEUE) webhooks: Queue,
  ) {
    new Gauge({
      name: 'mediagen_queue_jobs',
      help: 'Jobs in each BullMQ queue by state',
      labelNames: ['queue', 'state'],
      registers: [metrics.registry],
      async collect() {
        for (const queue of [generation, webhooks]) {
          const counts = await queue.getJobCounts(...STATES).catch(() => null);
          if (!counts) continue;
          for (const state of STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }
      },
    });
  }
}
