import { type QueueConfig, queueConfig } from '@app/config';
import { ReconciliationService } from '@app/jobs';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';

/** Runs the reconciliation sweep every SWEEP_INTERVAL_MS in this replica (sweeps are safe to overlap across replicas). */
@Injectable()
export class ReconciliationScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ReconciliationScheduler.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly reconciliation: ReconciliationService,
    @Inject(queueConfig.KEY) private readonly settings: QueueConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), this.settings.sweep.intervalMs);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Skips a tick while the previous sweep still runs; a failed sweep is logged and tried again next tick. */
  private tick(): void {
    if (this.running) return;
    this.running = this.reconciliation
      .sweep()
      .then(() => undefined)
      .catch((error: unknown) => this.logger.error({ err: error }, 'Reconciliation sweep failed'))
      .finally(() => {
        this.running = undefined;
      });
  }
}
