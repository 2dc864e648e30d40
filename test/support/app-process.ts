import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

// The built apps and CLI (`npm run build`), run as a user runs them; from the repository root.
export const ENTRIES = {
  api: resolve('dist/apps/api/apps/api/src/main.js'),
  worker: resolve('dist/apps/worker/apps/worker/src/main.js'),
  cli: resolve('dist/cli/libs/client/src/mediagen.js'),
};

/** A spawned app whose output lines (stdout and stderr, in order) are collected. */
export class AppProcess {
  readonly lines: string[] = [];
  readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  constructor(entry: string, env: Record<string, string>, args: string[] = []) {
    // LOG_FORMAT=json: the lines are parsed; the e2e environment sets LOG_LEVEL=silent, so it is reset here.
    this.child = spawn(process.execPath, [entry, ...args], {
      env: { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.lines.push(line));
    }
    this.exited = once(this.child, 'exit').then(([code]) => code as number | null);
  }

  /** The log messages (`msg` of JSON lines, other lines as they are). */
  get messages(): string[] {
    return this.lines.map((line) => {
      try {
        return String((JSON.parse(line) as { msg?: unknown }).msg);
      } catch {
        return line;
      }
    });
  }

  /** Waits until a line matches `pattern` (or the process exits, or `timeoutMs` passes); returns it. */
  async waitForLine(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    return (await this.waitForLines(pattern, 1, timeoutMs))[0];
  }

  /** Waits until `count` lines match `pattern` (or the process exits, or `timeoutMs` passes); returns them. */
  async waitForLines(pattern: RegExp, count: number, timeoutMs = 15_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.filter((message) => pattern.test(message));
      if (found.length >= count) return found;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`${found.length} of ${count} lines matching ${pattern}; got:\n${this.lines.join('\n')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The exit code once the process ended by itself (fails after `timeoutMs`). */
  async exitCode(timeoutMs = 15_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still running; output:\n${this.lines.join('\n')}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }
}
