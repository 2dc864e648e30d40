import { type GeneratorConfig, generatorConfig } from '@app/config';
import { Inject, Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { MetricsRegistry } from './metrics-registry';
import { ModelLabels } from './model-label';

export interface FinishedJob {
  model: string;
  status: string;
  attempts: number;
  error: { code: string } | null;
  createdAt: Date;
  completedAt: Date | null;
}

/** Job outcomes and the upstream's behaviour, as Prometheus metrics. */
@Injectable()
export class JobMetrics {
  private readonly finished: Counter<'model' | 'status' | 'code'>;
  private readonly duration: Histogram<'model' | 'status'>;
  private readonly attempts: Histogram<'model' | 'status'>;
  private readonly upstream: Histogram<'method' | 'status'>;
  private readonly models: ModelLabels;

  constructor(metrics: MetricsRegistry, @Inject(generatorConfig.KEY) generator: GeneratorConfig) {
    this.models = new ModelLabels(generator.allowedModels, generator.defaultModel);
    const registers = [metrics.registry];
    this.finished = new Counter({
      name: 'mediagen_jobs_finished_total',
      help: 'Jobs that reached a terminal state, by model, status and error code',
      labelNames: ['model', 'status', 'code'],
      registers,
    });
    this.duration = new Histogram({
      name: 'mediagen_job_duration_seconds',
      help: 'Time from submit to terminal state',
      labelNames: ['model', 'status'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.attempts = new Histogram({
      name: 'mediagen_job_attempts',
      help: 'Attempts a job used before its terminal state',
      labelNames: ['model', 'status'],
      buckets: [1, 2, 3, 5, 10],
      registers,
    });
    this.upstream = new Histogram({
      name: 'mediagen_upstream_request_duration_seconds',
      help: 'Requests to the generation upstream (Replicate), by method and status (or error)',
      labelNames: ['method', 'status'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
  }

  jobFinished(job: FinishedJob): void {
    const labels = { model: this.models.of(job.model), status: job.status };
    this.finished.inc({ ...labels, code: job.error?.code ?? '' });
    this.attempts.observe(labels, job.attempts);
    if (job.completedAt) this.duration.observe(labels, (job.completedAt.getTime() - job.createdAt.getTime()) / 1000);
  }

  upstreamRequest(method: string, status: string, seconds: number): void {
    this.upstream.observe({ method, status }, seconds);
  }
}
