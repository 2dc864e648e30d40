import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Client } from 'pg';

const SAMPLE_INTERVAL_MS = 200;
/** How often the output file is read for new lines. */
const OUTPUT_POLL_MS = 50;
const OUTPUT_READ_BYTES = 65_536;
const STOP_TIMEOUT_MS = 10_000;
/** Log lines kept per process, to explain a failure. */
const KEPT_LINES = 20;
/** Distinct warning and error messages kept per process, for the report. */
const KEPT_MESSAGES = 5;
const CLOCK_TICKS_PER_SECOND = clockTicks();

/**
 * One process under test (an app of the service or of the reference), its resident memory
 * sampled every 200 ms from /proc while it runs. Its output lines are kept (the last few) and
 * counted by pino level, so warnings and errors under load show up in the report.
 *
 * The output goes to a file that is read as it grows, not through a pipe: the apps write their
 * logs synchronously, and a pipe left unread while this process is busy driving the load would
 * stall them on a full buffer, a cost of the harness rather than of the service.
 */
export class BenchProcess {
  private child?: ChildProcess;
  private sampler?: NodeJS.Timeout;
  private output?: {
    folder: string;
    fd: number;
    reader: NodeJS.Timeout;
    buffer: Buffer;
    decoder: StringDecoder;
    partial: string;
  };
  private peakRssKb = 0;
  private uncountedPeakRssKb = 0;
  /** Whether peaks count: not once a profiler was attached (see `stopCounting`). */
  private counting = true;
  /** The process's inspector WebSocket, once it printed it (only when started with `inspect`). */
  inspectorUrl?: string;
  readonly lines: string[] = [];
  readonly messages = new Set<string>();
  /** How many lines the process printed so far (`lines` keeps only the last few). */
  linesSeen = 0;
  warnings = 0;
  errors = 0;

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    /** Open the inspector on a free loopback port, so phases can be profiled. */
    private readonly inspect = false,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The highest resident set seen until `stopCounting`: the kernel's high-water mark (VmHWM) or the 200 ms samples. */
  get peakRssMb(): number {
    return megabytes(this.peakRssKb);
  }

  /** The highest resident set seen after `stopCounting` (0 if it was not called). */
  get uncountedPeakRssMb(): number {
    return megabytes(this.uncountedPeakRssKb);
  }

  /** CPU time (user + system) the process used so far, in seconds; 0 once it exited. */
  cpuSeconds(): number {
    return this.child?.pid && this.running ? cpuSecondsOf(this.child.pid) : 0;
  }

  start(): void {
    const args = this.inspect ? ['--inspect=127.0.0.1:0', ...this.args] : this.args;
    const folder = mkdtempSync(join(tmpdir(), 'mediagen-bench-output-'));
    const file = join(folder, 'output');
    const written = openSync(file, 'w');
    const child = spawn(process.execPath, args, { env: this.env, stdio: ['ignore', written, written] });
    closeSync(written);
    const reader = setInterval(() => this.readOutput(), OUTPUT_POLL_MS);
    reader.unref();
    this.output = {
      folder,
      fd: openSync(file, 'r'),
      reader,
      buffer: Buffer.allocUnsafe(OUTPUT_READ_BYTES),
      decoder: new StringDecoder('utf8'),
      partial: '',
    };
    this.child = child;
    this.sampler = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
    this.sampler.unref();
  }

  /**
   * Resolves with the first output line matching `pattern` among those after the first `after`
   * lines (of all it printed); rejects if the process exits first.
   */
  async waitForLine(pattern: RegExp, timeoutMs: number, after = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      this.readOutput();
      const fresh = this.lines.slice(Math.max(0, this.lines.length - (this.linesSeen - after)));
      const found = fresh.find((line) => pattern.test(line));
      if (found !== undefined) return found;
      if (!this.running) throw new Error(`${this.name} exited before it was ready:\n${this.lines.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.lines.join('\n')}`);
  }

  /**
   * From now on peaks go to `uncountedPeakRssMb`, not `peakRssMb`: they are the instrument's (a CPU
   * profiler attached holds its samples and code map in the process until it exits).
   */
  stopCounting(): void {
    this.sample();
    this.counting = false;
  }

  /** Sends `signal` to the process, if it runs. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child?.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within 10 s. Reads the peak memory first. */
  async stop(): Promise<void> {
    const child = this.child;
    this.sample();
    clearInterval(this.sampler);
    if (child && this.running) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    this.closeOutput();
  }

  /** Records the lines written to the output file since the last read. */
  private readOutput(): void {
    const output = this.output;
    if (!output) return;
    const { buffer } = output;
    for (let read = readSync(output.fd, buffer); read > 0; read = readSync(output.fd, buffer)) {
      const lines = (output.partial + output.decoder.write(buffer.subarray(0, read))).split('\n');
      output.partial = lines.pop() ?? '';
      for (const line of lines) this.record(line);
    }
  }

  private closeOutput(): void {
    const output = this.output;
    if (!output) return;
    this.readOutput();
    if (output.partial) this.record(output.partial);
    clearInterval(output.reader);
    closeSync(output.fd);
    rmSync(output.folder, { recursive: true, force: true });
    this.output = undefined;
  }

  private sample(): void {
    if (!this.child?.pid || !this.running) return;
    try {
      const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
      // The high-water mark covers the process's whole life: once peaks no longer count, only the samples tell.
      for (const field of this.counting ? ['VmHWM', 'VmRSS'] : ['VmRSS']) {
        const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
        if (!match) continue;
        if (this.counting) this.peakRssKb = Math.max(this.peakRssKb, Number(match[1]));
        else this.uncountedPeakRssKb = Math.max(this.uncountedPeakRssKb, Number(match[1]));
      }
    } catch {
      // The process exited between the check and the read.
    }
  }

  private record(line: string): void {
    this.inspectorUrl ??= /^Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1];
    // pino writes the level first; read without parsing: the apps log a line per request.
    const level = Number(/^\{"level":(\d+)/.exec(line)?.[1] ?? 0);
    if (level >= 50) this.errors += 1;
    else if (level >= 40) this.warnings += 1;
    if (level >= 40 && this.messages.size < KEPT_MESSAGES) this.messages.add(messageOf(line));
    this.linesSeen += 1;
    this.lines.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
    if (this.lines.length > KEPT_LINES) this.lines.shift();
  }
}

/** CPU time (user + system) of process `pid` (or of its thread `thread`) so far, in seconds; 0 if it is gone. */
export function cpuSecondsOf(pid: number, thread?: string): number {
  try {
    const stat = readFileSync(thread ? `/proc/${pid}/task/${thread}/stat` : `/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** A process's CPU seconds so far, in all and by kind of thread (the rest: inspector, timers). */
export interface ThreadCpu {
  total: number;
  main: number;
  /** V8's helper threads: garbage collection and compilation. */
  gc: number;
  /** libuv's thread pool: file system, zlib, DNS. */
  libuv: number;
}

/** CPU seconds of process `pid` so far, by thread (from /proc/<pid>/task); zeros if it is gone. */
export function threadCpuSeconds(pid: number): ThreadCpu {
  const use: ThreadCpu = { total: 0, main: 0, gc: 0, libuv: 0 };
  let threads: string[] = [];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return use;
  }
  for (const thread of threads) {
    const seconds = cpuSecondsOf(pid, thread);
    let name = '';
    try {
      name = readFileSync(`/proc/${pid}/task/${thread}/comm`, 'utf8').trim();
    } catch {
      continue; // the thread ended meanwhile
    }
    use.total += seconds;
    if (Number(thread) === pid) use.main += seconds;
    else if (name.startsWith('V8')) use.gc += seconds;
    else if (name.startsWith('libuv')) use.libuv += seconds;
  }
  return use;
}

/**
 * CPU seconds so far of each PostgreSQL process that serves `db`'s database (its other
 * connections), and of the server's own processes (WAL writer, checkpointer…), by pid.
 */
export async function postgresCpuByPid(db: Client): Promise<Map<number, number>> {
  const { rows } = await db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
      WHERE (datname = current_database() OR backend_type <> 'client backend') AND pid <> pg_backend_pid()`,
  );
  return new Map(rows.map(({ pid }) => [pid, cpuSecondsOf(pid)]));
}

/** CPU seconds PostgreSQL spent between two `postgresCpuByPid` snapshots; backends gone by the second are left out. */
export function postgresCpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let seconds = 0;
  for (const [pid, now] of after) seconds += Math.max(0, now - (before.get(pid) ?? 0));
  return seconds;
}

/** CPU time the whole machine spent busy so far (all cores, everything but idle and I/O wait), in seconds. */
export function machineBusySeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_SECOND;
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

function megabytes(kilobytes: number): number {
  return Math.round((kilobytes / 1024) * 10) / 10;
}

function messageOf(line: string): string {
  try {
    const entry = JSON.parse(line) as { msg?: unknown; err?: { message?: unknown } };
    return [entry.msg, entry.err?.message].filter(Boolean).join(': ');
  } catch {
    return line.slice(0, 200);
  }
}
