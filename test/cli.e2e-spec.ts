import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { ENTRIES } from './support/app-process';
import { freePort } from './support/loopback';
import { useService } from './support/service';

// The built `mediagen` CLI (`npm run build`), spawned as a user runs it, against a running service.
interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function mediagen(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [ENTRIES.cli, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

const folder = mkdtempSync(join(tmpdir(), 'mediagen-cli-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('mediagen run / status / list against a running service', () => {
  const running = useService();
  const env = () => ({ MEDIAGEN_URL: running.service.baseUrl });

  it('run: submits, shows a progress line while it waits, writes the file, exits 0', async () => {
    const target = join(folder, 'fox.png');

    const result = await mediagen(['run', 'a red fox', '-o', target, '-i', 'width=64', '-i', 'height=48'], env());

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^job [0-9a-f-]{36} (queued|processing)/m);
    expect(result.stderr).toMatch(/^job [0-9a-f-]{36} succeeded \(attempt 1\/3\)$/m);
    expect(result.stdout).toBe(`wrote ${target}\n`);
    const png = PNG.sync.read(readFileSync(target));
    expect([png.width, png.height]).toEqual([64, 48]);
  });

  it('run --json prints the finished job for scripts; status and list find it', async () => {
    const result = await mediagen(['--json', 'run', 'a blue heron', '-i', 'num_outputs=2'], env());
    const job = JSON.parse(result.stdout);

    expect(result.code).toBe(0);
    expect(job).toMatchObject({ status: 'succeeded', prompt: 'a blue heron', model: 'mock' });
    expect(job.outputs.map((output: { file: string }) => output.file)).toEqual(['0.png', '1.png']);

    const status = await mediagen(['status', job.id], env());
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`job ${job.id} succeeded`);

    const list = await mediagen(['--json', 'list', '--limit', '50'], env());
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).data.map((listed: { id: string }) => listed.id)).toContain(job.id);
  });

  it('exits 2 for bad usage, an unknown job and an unreachable service, saying which', async () => {
    const usage = await mediagen(['run'], env());
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("missing required argument 'prompt'");

    const unknown = await mediagen(['status', '0b9f6c1e-8d7a-4d6e-9a53-2f0c1f1e2a3b'], env());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^mediagen: 404 job_not_found/);

    const closed = await freePort();
    const unreachable = await mediagen(['list'], { MEDIAGEN_URL: `http://127.0.0.1:${closed}` });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toBe(
      `mediagen: cannot reach http://127.0.0.1:${closed} (ECONNREFUSED): is the service running? Set MEDIAGEN_URL or --url\n`,
    );
  });
});

describe('mediagen run when the job fails', () => {
  const running = useService({ MOCK_FAILURE_RATE: '1', JOB_ATTEMPTS: '1' });

  it('exits 1 and names the error', async () => {
    const result = await mediagen(['run', 'doomed'], { MEDIAGEN_URL: running.service.baseUrl });

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^mediagen: job [0-9a-f-]{36} failed: \w+: .+$/m);
  });
});

describe('mediagen key (npm run key)', () => {
  // Made before the service starts: its API_KEYS entry is pasted as `sha256sum` would print it.
  const made = spawnSync(process.execPath, [ENTRIES.cli, '--json', 'key', 'alice'], { encoding: 'utf8' });
  const key = JSON.parse(made.stdout || '{}') as { key: string; entry: string; sha256: string };
  const running = useService({ API_KEYS: `${key.entry}  -` });

  it('prints a new random key and the exact API_KEYS entry for it', () => {
    expect(made.status).toBe(0);
    expect(key.key).toMatch(/^mgk_[\w-]{43}$/);
    expect(key.entry).toBe(`alice:${createHash('sha256').update(key.key).digest('hex')}`);
    const text = spawnSync(process.execPath, [ENTRIES.cli, 'key'], { encoding: 'utf8' }).stdout;
    expect(text).toMatch(
      /^API key for client .*:\n {2}mgk_\S+\nAdd this entry to the server's API_KEYS .*:\n {2}client:[0-9a-f]{64}\n$/,
    );
  });

  it('the key opens the API (MEDIAGEN_API_KEY); without it the CLI says 401 and exits 2', async () => {
    const url = running.service.baseUrl;

    expect((await mediagen(['list'], { MEDIAGEN_URL: url, MEDIAGEN_API_KEY: key.key })).code).toBe(0);
    const refused = await mediagen(['list'], { MEDIAGEN_URL: url });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^mediagen: 401 /);
  });
});
