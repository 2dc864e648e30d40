import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { EnvironmentOverrides } from './support/environment-overrides';
import { JobsClient } from './support/jobs-client';
import { type RawAnswer, rawExchange, rawRequest } from './support/raw-http';
import { useService } from './support/service';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

const ALICE = 'alice-slow-secret';
const BOB = 'bob-slow-secret';
const REQUEST_TIMEOUT_MS = 1500;
const JOB_LATENCY_MS = 5000;
const SMALL = { width: 16, height: 16 };

/** Writes `head`, then one byte of `drip` every `everyMs`, until the server closes the connection. */
function trickle(head: string, drip: string, everyMs: number) {
  return (socket: Socket) => {
    socket.write(head);
    let sent = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || sent >= drip.length) return clearInterval(timer);
      socket.write(drip[sent]);
      sent += 1;
    }, everyMs);
    socket.on('close', () => clearInterval(timer));
  };
}

function expectProblem(answer: RawAnswer, status: number, code: string): void {
  expect({ status: answer.status, contentType: answer.headers['content-type'] }).toEqual({
    status,
    contentType: expect.stringMatching(/^application\/problem\+json/),
  });
  expect(JSON.parse(answer.body)).toMatchObject({ status, code, type: `urn:mediagen:problem:${code}` });
}

const uploadHead = (authorization: string | null, length: number) =>
  [
    'POST /v1/generate HTTP/1.1',
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    `Content-Length: ${length}`,
    ...(authorization ? [`Authorization: ${authorization}`] : []),
    '',
    '',
  ].join('\r\n');

describe('slow and greedy clients', () => {
  const env = new EnvironmentOverrides();
  beforeAll(() =>
    env.set({
      API_KEYS: `alice:${sha256(ALICE)},bob:${sha256(BOB)}`,
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      WAIT_MAX_PER_KEY: '2',
      WAIT_MAX_TOTAL: '3',
      MOCK_LATENCY_MS: String(JOB_LATENCY_MS),
    }),
  );
  afterAll(() => env.restore());
  const running = useService();
  const baseUrl = () => running.service.baseUrl;
  const alice = () => new JobsClient(baseUrl(), ALICE);
  const bob = () => new JobsClient(baseUrl(), BOB);

  describe('request timeout', () => {
    it('cuts off a client dripping its body a byte at a time with a 408 problem', async () => {
      const body = JSON.stringify({ prompt: 'drip', input: SMALL });
      const answer = await rawExchange(baseUrl(), trickle(uploadHead(`Bearer ${ALICE}`, body.length), body, 300));

      expectProblem(answer, 408, 'request_timeout');
      expect(answer.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
      expect(answer.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 2000);
    });

    it('cuts off a client dripping its headers', async () => {
      const answer = await rawExchange(
        baseUrl(),
        trickle('GET /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: aaaaaaaaaaaaaaaaaaaa', 300),
      );

      expectProblem(answer, 408, 'request_timeout');
      expect(answer.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 2000);
    });

    it('does not cut a Prefer: wait longer than the request timeout', async () => {
      const job = await alice().submit({ prompt: 'long wait', input: SMALL });
      const started = Date.now();
      const { data, response } = await alice().api.GET('/v1/status/{id}', {
        params: { path: { id: job.id } },
        headers: { prefer: 'wait=3' },
      });

      expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
      expect(response.status).toBe(200);
      expect(response.headers.get('preference-applied')).toBe('wait=3');
      expect(data?.status).toMatch(/queued|processing/);
    });
  });

  describe('the API key is checked before the body is read', () => {
    it('answers an upload without a key 401 right after its headers and closes the connection', async () => {
      // Headers announce a body that never comes: only a check made before reading it can answer.
      const answer = await rawExchange(baseUrl(), (socket) => socket.write(uploadHead(null, 50_000)));

      expectProblem(answer, 401, 'unauthorized');
      expect(answer.headers.connection).toBe('close');
      expect(answer.answeredAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS / 2);
      expect(answer.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS / 2);
    });

    it('waits for the body of the same upload with a valid key (until the request timeout)', async () => {
      const answer = await rawExchange(baseUrl(), (socket) => socket.write(uploadHead(`Bearer ${ALICE}`, 50_000)));

      expectProblem(answer, 408, 'request_timeout');
      expect(answer.answeredAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    });

    it('never parses the body of a request without a key (malformed JSON is still a 401)', async () => {
      const answer = await rawRequest(baseUrl(), 'POST', '/v1/generate', {
        headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' },
        body: '{"prompt":',
      });

      expectProblem(answer, 401, 'unauthorized');
    });

    it.each(['/health/live', '/metrics', '/docs-json', '/'])('leaves %s open', async (path) => {
      expect((await rawRequest(baseUrl(), 'GET', path)).status).toBe(200);
    });
  });

  describe('Prefer: wait caps (2 per key, 3 in all)', () => {
    const waitOn = (client: JobsClient, id: string, seconds: number) => {
      const started = Date.now();
      return client.api
        .GET('/v1/status/{id}', { params: { path: { id } }, headers: { prefer: `wait=${seconds}` } })
        .then(({ response }) => ({
          applied: response.headers.get('preference-applied'),
          tookMs: Date.now() - started,
          status: response.status,
        }));
    };

    it('answers a wait past a cap at once, without Preference-Applied, and frees slots as waits end', async () => {
      const aliceJob = await alice().submit({ prompt: 'cap alice', input: SMALL });
      const bobJob = await bob().submit({ prompt: 'cap bob', input: SMALL });
      const held = [waitOn(alice(), aliceJob.id, 3), waitOn(alice(), aliceJob.id, 3)];
      await sleep(500);

      const pastKeyCap = await waitOn(alice(), aliceJob.id, 3);
      expect(pastKeyCap).toEqual({ applied: null, tookMs: expect.any(Number), status: 200 });
      expect(pastKeyCap.tookMs).toBeLessThan(1000);

      held.push(waitOn(bob(), bobJob.id, 3));
      await sleep(500);
      const pastTotalCap = await waitOn(bob(), bobJob.id, 3);
      expect(pastTotalCap.applied).toBeNull();
      expect(pastTotalCap.tookMs).toBeLessThan(1000);

      for (const wait of await Promise.all(held)) {
        expect(wait.applied).toBe('wait=3');
        expect(wait.tookMs).toBeGreaterThanOrEqual(2400);
      }
      const again = await waitOn(alice(), aliceJob.id, 1);
      expect(again.applied).toBe('wait=1');
      expect(again.tookMs).toBeGreaterThanOrEqual(900);
    });

    it('applies the cap to waits on submit too (answered 202 at once)', async () => {
      const job = await alice().submit({ prompt: 'cap submit', input: SMALL });
      const held = [waitOn(alice(), job.id, 2), waitOn(alice(), job.id, 2)];
      await sleep(500);
      const started = Date.now();
      const { response } = await alice().api.POST('/v1/generate', {
        body: { prompt: 'cap submit 2', input: SMALL },
        headers: { prefer: 'wait=2' },
      });

      expect(response.status).toBe(202);
      expect(response.headers.get('preference-applied')).toBeNull();
      expect(Date.now() - started).toBeLessThan(1000);
      await Promise.all(held);
    });
  });
});
