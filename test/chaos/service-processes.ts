import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

// Run from the repository root, as the npm scripts and jest do; the apps must be built.
export const API_ENTRY = resolve('dist/apps/api/apps/api/src/main.js');
export const WORKER_ENTRY = resolve('dist/apps/worker/apps/worker/src/main.js');

export interface LogLine {
  msg?: string;
  jobId?: string;
  [key: string]: unknown;
}

/** One api or worker as a separate OS process, its JSON log lines handed to `onLog`. */
export class ServiceProcess {
  private child?: ChildProcess;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly onLog: (name: string, line: LogLine) => void,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    const child = spawn(process.execPath, [this.entry], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (text) => {
        try {
          this.onLog(this.name, JSON.parse(text) as LogLine);
        } catch {
          this.onLog(this.name, { msg: text });
        }
      });
    }
    this.child = child;
  }

  /** Sends `signal` and waits for the process to exit; returns its exit code or signal. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<string> {
    const child = this.child;
    if (!child || !this.running) return 'not running';
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    child.kill(signal);
    const [code, received] = await exited;
    return code !== null ? `exit ${code}` : `signal ${received}`;
  }
}
