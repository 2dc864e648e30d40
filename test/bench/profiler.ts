import { sep } from 'node:path';

// A CPU profile of a running process, taken over its inspector (the Chrome DevTools protocol on a
// WebSocket): started and stopped around one phase, then summed up by self time. Node 22+ has a
// WebSocket client built in; @types/node 20 does not declare it, hence the small interface.

interface InspectorSocket {
  onopen: (() => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  send(data: string): void;
  close(): void;
}
const WebSocketClient = (globalThis as unknown as { WebSocket: new (url: string) => InspectorSocket }).WebSocket;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  /** A function (`name file:line`) or a package (`pkg:name`, `node:internal`, `ours`, `(gc)`…). */
  name: string;
  /** Share of the profiled time, in percent, spent in it itself (not its callees). */
  selfPercent: number;
}

export interface ProfileSummary {
  seconds: number;
  functions: ProfileEntry[];
  packages: ProfileEntry[];
}

/** Runs `during` with the CPU profiler of the process behind `inspectorUrl` on, and sums the profile up. */
export async function profileDuring(
  inspectorUrl: string,
  during: () => Promise<unknown>,
  top = 8,
): Promise<ProfileSummary> {
  const session = await InspectorSession.open(inspectorUrl);
  try {
    await session.send('Profiler.enable');
    await session.send('Profiler.start');
    await during();
    const { profile } = (await session.send('Profiler.stop')) as { profile: CpuProfile };
    return summarize(profile, top);
  } finally {
    session.close();
  }
}

export function formatProfile(title: string, summary: ProfileSummary): string {
  const list = (entries: ProfileEntry[]) => entries.map((entry) => `${entry.selfPercent}% ${entry.name}`).join(', ');
  return `${title} (${summary.seconds} s): by package ${list(summary.packages)}\n    top functions ${list(summary.functions)}`;
}

/** Self time per function and per package, biggest first; idle time is left out. */
export function summarize(profile: CpuProfile, top: number): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let busy = 0;
  for (const [id, micros] of selfMicros) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)' || frame.functionName === '(program)') continue;
    busy += micros;
    const where = frame.url ? ` ${shortPath(frame.url)}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'}${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    const owner = packageOf(frame.url, frame.functionName);
    byPackage.set(owner, (byPackage.get(owner) ?? 0) + micros);
  }
  const ranked = (totals: Map<string, number>) =>
    [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, selfPercent: Math.round((micros / Math.max(busy, 1)) * 1000) / 10 }));
  return {
    seconds: Math.round((profile.endTime - profile.startTime) / 1e5) / 10,
    functions: ranked(byFunction),
    packages: ranked(byPackage),
  };
}

function shortPath(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf(`node_modules${sep}`);
  if (modules >= 0) return path.slice(modules + 'node_modules/'.length);
  const dist = path.indexOf(`${sep}dist${sep}`);
  return dist >= 0 ? path.slice(dist + 1) : path;
}

function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : 'native';
  if (url.startsWith('node:')) return 'node:internal';
  const modules = url.lastIndexOf('node_modules/');
  if (modules < 0) return 'ours';
  const [scope, name] = url.slice(modules + 'node_modules/'.length).split('/');
  return scope.startsWith('@') ? `${scope}/${name}` : scope;
}

/** One DevTools protocol session: requests by id, answered in any order. */
class InspectorSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  private constructor(private readonly socket: InspectorSocket) {
    socket.onmessage = ({ data }) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiter || message.id === undefined) return;
      this.pending.delete(message.id);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message.result);
    };
  }

  static open(url: string): Promise<InspectorSession> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocketClient(url);
      socket.onopen = () => resolve(new InspectorSession(socket));
      socket.onerror = () => reject(new Error(`cannot reach the inspector at ${url}`));
    });
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}
