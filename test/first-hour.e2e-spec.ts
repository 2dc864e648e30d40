import { createServer } from 'node:net';
import { AppProcess, ENTRIES } from './support/app-process';
import { freePort, listenOnLoopback } from './support/loopback';
import { deleteKeys } from './support/redis-keys';
import { withPath } from './support/scratch-databases';
import { TcpProxy } from './support/tcp-proxy';
import { TEST_DATABASE_URL } from './support/test-database';

// The built apps (`npm run build`), started as a user starts them, with settings a user gets wrong.
const running: AppProcess[] = [];
function start(app: 'api' | 'worker', env: Record<string, string>): AppProcess {
  const started = new AppProcess(ENTRIES[app], { HOST: '127.0.0.1', ...env });
  running.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.stop()));
});
// The apps share the file's key prefix (from the environment): what they left goes with it.
afterAll(() => deleteKeys(`${process.env.QUEUE_PREFIX}:*`));

/** No stack trace, no raw error dump: every line is one JSON log entry or one plain sentence. */
function expectNoStackTraces(app: AppProcess): void {
  expect(app.lines.filter((line) => /^\s+at /.test(line) || /"stack"/.test(line))).toEqual([]);
}

describe('start-up in a terminal', () => {
  it('the api says in one line that it is ready, where, with which generator, storage and auth', async () => {
    const port = await freePort();
    const api = start('api', { PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}` });

    const ready = await api.waitForLine(/^mediagen api ready/);

    const base = `http://127.0.0.1:${port}`;
    expect(ready).toContain(`api ${base}/v1 · docs ${base}/docs · page ${base}/ · metrics ${base}/metrics`);
    expect(ready).toMatch(/generator mock · storage local \(.+\) · auth open \(API_KEYS unset\)/);
    // Nest's module-loading and route-mapping lines are debug, not info.
    expect(api.messages.filter((message) => /dependencies initialized|Mapped \{/.test(message))).toEqual([]);
    expect(api.lines.length).toBeLessThanOrEqual(3);
  });

  it('the worker says in one line that it is ready, with its health port', async () => {
    const port = await freePort();
    const worker = start('worker', { WORKER_HEALTH_PORT: String(port) });

    const ready = await worker.waitForLine(/^mediagen worker ready/);

    expect(ready).toContain(`health http://127.0.0.1:${port}/health/ready · metrics http://127.0.0.1:${port}/metrics`);
    expect(ready).toMatch(/generator mock · storage local/);
    expect(worker.lines).toHaveLength(1);
  });
});

describe('stopping', () => {
  it('SIGTERM: the api closes, writes the log lines it still held, and exits 0', async () => {
    const port = await freePort();
    const api = start('api', { PORT: String(port) });
    await api.waitForLine(/^mediagen api ready/);

    // Its line waits in the log buffer (a short line is written within half a second, or at exit).
    expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
    api.child.kill('SIGTERM');

    expect(await api.exitCode()).toBe(0);
    expect(api.messages).toContain('request completed');
  });
});

describe('errors that name the fix', () => {
  it('a missing database: one line naming DATABASE_URL and `npm run migration:run`, then exit 1', async () => {
    const api = start('api', { DATABASE_URL: withPath(TEST_DATABASE_URL, '/mediagen_never_created') });

    expect(await api.exitCode()).toBe(1);
    expect(api.lines).toEqual([
      expect.stringMatching(
        /^API failed to start: Database 127\.0\.0\.1:5432\/mediagen_never_created \(DATABASE_URL\) does not exist: run `npm run migration:run`/,
      ),
    ]);
  });

  it('PostgreSQL unreachable: one line per back-off step naming DATABASE_URL and the address, never the password', async () => {
    const closed = await freePort();
    const worker = start('worker', { DATABASE_URL: `postgres://postgres:s3cret@127.0.0.1:${closed}/mediagen` });

    await expectBackOffLines(
      worker,
      `^PostgreSQL unreachable at 127\\.0\\.0\\.1:${closed}/mediagen \\(DATABASE_URL\\): .*ECONNREFUSED.*; retrying in [\\d.]+ s$`,
    );
    expect(worker.lines.join('\n')).not.toContain('s3cret');
    expectNoStackTraces(worker);
  });

  it('Redis unreachable at worker start: one line per back-off step naming REDIS_URL and the address', async () => {
    const closed = await freePort();
    const worker = start('worker', { REDIS_URL: `redis://127.0.0.1:${closed}`, WORKER_HEALTH_PORT: '0' });

    await expectBackOffLines(
      worker,
      `^Redis unreachable at 127\\.0\\.0\\.1:${closed} \\(REDIS_URL\\): .*ECONNREFUSED.*; retrying in [\\d.]+ s$`,
    );
    expectNoStackTraces(worker);
  });

  it('Redis lost under a running api: readiness 503, back-off lines naming REDIS_URL, no request id on them', async () => {
    const proxy = new TcpProxy(6379);
    const [port, redisPort] = [await freePort(), await proxy.start()];
    try {
      const api = start('api', { PORT: String(port), REDIS_URL: `redis://127.0.0.1:${redisPort}` });
      await api.waitForLine(/^mediagen api ready/);
      // The api's own Redis connection opens inside this request.
      expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);

      await proxy.close();
      await api.waitForLines(/^Redis unreachable at/, 2);

      expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(503);
      const redisLines = api.lines.filter((line) => line.includes('Redis unreachable at'));
      expect(redisLines.length).toBeGreaterThanOrEqual(2);
      for (const line of redisLines) {
        const entry = JSON.parse(line) as { msg: string; req?: unknown };
        expect(entry.msg).toMatch(new RegExp(`^Redis unreachable at 127\\.0\\.0\\.1:${redisPort} \\(REDIS_URL\\): `));
        expect(entry.req).toBeUndefined();
      }
      // An outage is reported in these lines alone: no stack trace rides along.
      expect(redisLines.join('\n')).not.toMatch(/"stack"|\n\s+at /);
    } finally {
      await proxy.close();
    }
  });

  it('a port in use: one line naming PORT, then exit 1', async () => {
    const holder = createServer();
    const port = await listenOnLoopback(holder);
    try {
      const api = start('api', { PORT: String(port) });

      expect(await api.exitCode()).toBe(1);
      // The warning went through the buffered logger before the failure: written on the way out, not lost.
      expect(api.messages.sort()).toEqual([
        `API failed to start: PORT ${port} is already in use on 127.0.0.1: stop the other process or set PORT to a free port`,
        'API_KEYS is not set: the API is open to anyone who can reach it',
      ]);
    } finally {
      holder.close();
    }
  });
});

describe('many workers on one host', () => {
  it("two workers with the README's settings both start; the second takes a free health port and says so", async () => {
    const port = await freePort();
    const first = start('worker', { WORKER_HEALTH_PORT: String(port) });
    await first.waitForLine(/^mediagen worker ready/);
    const second = start('worker', { WORKER_HEALTH_PORT: String(port) });

    const ready = await second.waitForLine(/^mediagen worker ready/);

    const taken = /health http:\/\/127\.0\.0\.1:(\d+)\/health\/ready \(WORKER_HEALTH_PORT (\d+) was taken\)/.exec(
      ready,
    );
    expect(taken?.[2]).toBe(String(port));
    for (const healthPort of [port, Number(taken?.[1])]) {
      expect((await fetch(`http://127.0.0.1:${healthPort}/health/live`)).status).toBe(200);
    }
  });

  it('WORKER_HEALTH_PORT=off runs a worker without a health server', async () => {
    const worker = start('worker', { WORKER_HEALTH_PORT: 'off' });

    expect(await worker.waitForLine(/^mediagen worker ready/)).toContain('health off (WORKER_HEALTH_PORT=off)');
  });
});

/**
 * An app that cannot reach something: one line per back-off step (0.5 s, 1 s, 2 s …), each matching
 * `line`. Timed from its first such line, not from its start, which a busy machine delays by seconds.
 */
async function expectBackOffLines(app: AppProcess, line: string): Promise<void> {
  const pattern = new RegExp(line);
  await app.waitForLine(pattern);
  const firstSeenAt = Date.now();
  await app.waitForLines(pattern, 3);

  // Two back-off waits (0.5 s, then 1 s) lie between the first line and the third.
  expect(Date.now() - firstSeenAt).toBeGreaterThanOrEqual(1_300);
  expect(app.messages).toHaveLength(3);
  for (const message of app.messages) expect(message).toMatch(pattern);
}
