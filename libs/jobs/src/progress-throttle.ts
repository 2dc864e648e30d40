import type { GenerationProgress } from '@app/generator';

/** At most one progress write per job this often: the row, and every watcher, see at most one change a second. */
export const PROGRESS_WRITE_INTERVAL_MS = 1000;

/**
 * The one place where progress writes are paced. Reports come as often as a generator likes;
 * the first is written at once, later ones at most once per interval (the latest wins), and a
 * report equal to the last written one is dropped. Writes run one after another. After `stop()`
 * nothing more is written, so no write outlives its attempt.
 */
export class ProgressThrottle {
  private lastWrittenAt = Number.NEGATIVE_INFINITY;
  private lastWritten?: GenerationProgress;
  private pending?: GenerationProgress;
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;

  /** `write` must not throw: it records the progress or logs why it could not. */
  constructor(
    private readonly write: (progress: GenerationProgress) => Promise<void>,
    private readonly intervalMs = PROGRESS_WRITE_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  report(progress: GenerationProgress): void {
    if (this.stopped) return;
    this.pending = progress;
    if (this.timer) return;
    const waitMs = this.lastWrittenAt + this.intervalMs - this.now();
    if (waitMs <= 0) this.flush();
    else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, waitMs);
    }
  }

  /** Drops what is not written yet and resolves once the write under way (if any) is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    await this.writing;
  }

  private flush(): void {
    const progress = this.pending;
    this.pending = undefined;
    if (!progress || this.stopped || sameProgress(progress, this.lastWritten)) return;
    this.lastWritten = progress;
    this.lastWrittenAt = this.now();
    this.writing = this.writing.then(() => this.write(progress));
  }
}

function sameProgress(a: GenerationProgress, b: GenerationProgress | undefined): boolean {
  return a.percent === b?.percent && a.message === b?.message;
}
