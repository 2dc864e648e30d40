import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { WebhookVerificationError } from 'standardwebhooks';
import { expectProblem, JobsClient } from './support/jobs-client';
import { deleteKeys } from './support/redis-keys';
import { useService } from './support/service';
import { type ReceivedRequest, verifySignature, WebhookReceiver } from './support/webhook-receiver';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** Two server secrets: the operator is rotating from the first to the second. */
const SERVER_SECRETS = [newSecret(), newSecret()];
const ALICE = 'alice-webhook-key';
const BOB = 'bob-webhook-key';

const WEBHOOK_ENV = {
  WEBHOOK_SECRETS: SERVER_SECRETS.join(','),
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_BACKOFF_MS: '100',
  WEBHOOK_TIMEOUT_MS: '1000',
};

afterAll(async () => {
  await deleteKeys(`${process.env.QUEUE_PREFIX}:*`);
});

async function readSecret(client: JobsClient): Promise<{ secret: string; secrets: string[] }> {
  const { data, error, response } = await client.api.GET('/v1/webhooks/secret');
  if (!data) throw new Error(`webhook secret answered ${response.status}: ${JSON.stringify(error)}`);
  return data;
}

describe('webhook secrets per API key', () => {
  const receiver = new WebhookReceiver();
  const running = useService({ ...WEBHOOK_ENV, API_KEYS: `alice:${sha256(ALICE)},bob:${sha256(BOB)}` });
  const clients = () => ({
    anonymous: new JobsClient(running.service.baseUrl),
    alice: new JobsClient(running.service.baseUrl, ALICE),
    bob: new JobsClient(running.service.baseUrl, BOB),
  });

  beforeAll(() => receiver.start());
  afterAll(() => receiver.close());

  /** Runs a job of `client`'s key with a completion webhook and returns the delivery as received. */
  async function deliveryFor(client: JobsClient): Promise<ReceivedRequest> {
    const path = `/hooks/${randomUUID()}`;
    const { data, error } = await client.api.POST('/v1/generate', {
      body: { prompt: 'a signed fox', input: { width: 16, height: 16 }, webhook: receiver.script(path, 204) },
    });
    if (!data) throw new Error(`submit failed: ${JSON.stringify(error)}`);
    await client.waitUntilDone(data.id);
    const [delivery] = await receiver.waitFor(path, 1);
    expect(JSON.parse(delivery.body)).toMatchObject({ type: 'job.completed', data: { id: data.id } });
    return delivery;
  }

  it('gives each key its own secrets, one per server secret, the newest as `secret`', async () => {
    const { alice, bob } = clients();

    const [aliceSecret, bobSecret, again] = [await readSecret(alice), await readSecret(bob), await readSecret(alice)];

    for (const { secret, secrets } of [aliceSecret, bobSecret]) {
      expect(secrets).toHaveLength(SERVER_SECRETS.length);
      expect(secret).toBe(secrets[secrets.length - 1]);
      for (const one of secrets) expect(one).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    }
    expect(again).toEqual(aliceSecret);
    expect(new Set([...aliceSecret.secrets, ...bobSecret.secrets, ...SERVER_SECRETS]).size).toBe(6);
  });

  it('answers 401 without a key', async () => {
    const { data, error, response } = await clients().anonymous.api.GET('/v1/webhooks/secret');

    expect(data).toBeUndefined();
    expectProblem(response, error, 401);
  });

  it("signs each key's deliveries so that only that key's secrets verify them", async () => {
    const { alice, bob } = clients();
    const [aliceSecret, bobSecret] = [await readSecret(alice), await readSecret(bob)];

    const [toAlice, toBob] = await Promise.all([deliveryFor(alice), deliveryFor(bob)]);

    // Every current secret verifies on its own, so a rotation needs no coordination.
    for (const secret of aliceSecret.secrets)
      expect(verifySignature(secret, toAlice)).toEqual(JSON.parse(toAlice.body));
    for (const secret of bobSecret.secrets) expect(verifySignature(secret, toBob)).toEqual(JSON.parse(toBob.body));
    expect(String(toAlice.headers['webhook-signature']).split(' ')).toHaveLength(SERVER_SECRETS.length);
    for (const secret of [...bobSecret.secrets, ...SERVER_SECRETS]) {
      expect(() => verifySignature(secret, toAlice)).toThrow(WebhookVerificationError);
    }
    for (const secret of [...aliceSecret.secrets, ...SERVER_SECRETS]) {
      expect(() => verifySignature(secret, toBob)).toThrow(WebhookVerificationError);
    }
  });
});

describe('webhook secret without API keys (open mode)', () => {
  const running = useService(WEBHOOK_ENV);

  it('is not served: deliveries are signed with WEBHOOK_SECRETS itself, which only the operator holds', async () => {
    const { data, error, response } = await new JobsClient(running.service.baseUrl).api.GET('/v1/webhooks/secret');

    expect(data).toBeUndefined();
    expectProblem(response, error, 403, 'webhook_secret_not_served');
    expect(JSON.stringify(error)).not.toContain(SERVER_SECRETS[0].slice('whsec_'.length, 20));
  });
});

describe('webhook secret with webhooks off', () => {
  const running = useService({ API_KEYS: `alice:${sha256(ALICE)}` });

  it('answers 404 webhooks_disabled', async () => {
    const { error, response } = await new JobsClient(running.service.baseUrl, ALICE).api.GET('/v1/webhooks/secret');

    expectProblem(response, error, 404, 'webhooks_disabled');
  });
});
