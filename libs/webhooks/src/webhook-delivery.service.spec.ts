import { randomBytes } from 'node:crypto';
import type { JobsRepository, WebhookDeliveriesRepository } from '@app/database';
import { DestinationRefusedError } from '@app/egress';
import { type WebhookQueueProducer, WebhookRetryError } from '@app/queue';
import { Logger } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { tenantSecrets } from './tenant-secrets';
import { FakeWebhookQueue, InMemoryDeliveries, webhooksConfigFor } from './testing/webhook-fakes';
import { WebhookAbandonedError, WebhookDeliveryService } from './webhook-delivery.service';
import { WebhookSecrets } from './webhook-secrets';
import type { WebhookRequest, WebhookSender } from './webhook-sender';

const NOW = 1_700_000_000_987;
const serverSecret = `whsec_${randomBytes(32).toString('base64')}`;
const firstTry = { attemptsMade: 0, isLast: false };

describe('WebhookDeliveryService', () => {
  let deliveries: InMemoryDeliveries;
  let queue: FakeWebhookQueue;
  let sent: WebhookRequest[];
  let answer: () => Promise<number>;
  let owners: Map<string, string>;
  let payloads: Map<string, 'job' | 'prediction'>;
  let service: WebhookDeliveryService;
  let log: jest.SpyInstance;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    deliveries = new InMemoryDeliveries();
    queue = new FakeWebhookQueue();
    sent = [];
    answer = async () => 204;
    owners = new Map([['job-1', 'alice']]);
    payloads = new Map();
    const sender = {
      send: (request: WebhookRequest) => {
        sent.push(request);
        return answer();
      },
    } as WebhookSender;
    const jobs = {
      findById: async (id: string) =>
        owners.has(id) ? { id, owner: owners.get(id), webhook: { payload: payloads.get(id) } } : null,
    } as unknown as JobsRepository;
    service = new WebhookDeliveryService(
      deliveries as unknown as WebhookDeliveriesRepository,
      queue as unknown as WebhookQueueProducer,
      sender,
      jobs,
      new WebhookSecrets(webhooksConfigFor({ secrets: [serverSecret] })),
    );
  });

  afterEach(() => jest.restoreAllMocks());

  const failureOf = (promise: Promise<void>) =>
    promise.then(
      () => {
        throw new Error('expected the delivery to fail');
      },
      (error: unknown) => error as Error,
    );

  describe('rule: only a pending delivery of an existing job is sent', () => {
    it.each(['delivered', 'failed'] as const)('sends nothing for a %s delivery', async (status) => {
      const delivery = deliveries.add({ status });

      await service.deliver(delivery.id, firstTry);

      expect(sent).toEqual([]);
      expect(deliveries.attempts).toEqual([]);
    });

    it('sends nothing for an unknown delivery', async () => {
      await service.deliver('missing', firstTry);

      expect(sent).toEqual([]);
    });

    it('sends nothing when the job is gone', async () => {
      const delivery = deliveries.add({ jobId: 'deleted-job' });

      await service.deliver(delivery.id, firstTry);

      expect(sent).toEqual([]);
      expect(deliveries.attempts).toEqual([]);
    });
  });

  describe('rule: deliveries are Standard Webhooks messages signed with the job owner’s secrets', () => {
    it.each([
      ['start', 'job.started'],
      ['completed', 'job.completed'],
    ])('a %s event is sent as %s with the payload, to the delivery URL', async (event, type) => {
      const delivery = deliveries.add({ event, url: 'https://receiver.test/x', payload: { id: 'job-1', n: 1 } });

      await service.deliver(delivery.id, firstTry);

      expect(sent).toHaveLength(1);
      expect(sent[0].url).toBe('https://receiver.test/x');
      expect(JSON.parse(sent[0].body)).toEqual({
        type,
        timestamp: '2023-11-14T22:13:20.000Z',
        data: { id: 'job-1', n: 1 },
      });
    });

    it('sends the payload itself, as Replicate does, for a job that asked for predictions', async () => {
      payloads.set('job-1', 'prediction');
      const delivery = deliveries.add({ event: 'completed', payload: { id: 'job-1', status: 'succeeded' } });

      await service.deliver(delivery.id, firstTry);

      expect(JSON.parse(sent[0].body)).toEqual({ id: 'job-1', status: 'succeeded' });
      const [alice] = tenantSecrets([serverSecret], 'alice');
      expect(new Webhook(alice).verify(sent[0].body, sent[0].headers)).toEqual({ id: 'job-1', status: 'succeeded' });
    });

    it('carries the id, a whole-second timestamp and the identifying headers', async () => {
      const delivery = deliveries.add();

      await service.deliver(delivery.id, firstTry);

      expect(sent[0].headers).toEqual({
        'content-type': 'application/json',
        'user-agent': 'mediagen-webhooks/1',
        'webhook-id': `msg_${delivery.id}`,
        'webhook-timestamp': '1700000000',
        'webhook-signature': expect.stringMatching(/^v1,/),
      });
    });

    it('verifies with the owner’s secret and with no other tenant’s', async () => {
      const delivery = deliveries.add();

      await service.deliver(delivery.id, firstTry);

      const [alice] = tenantSecrets([serverSecret], 'alice');
      const [bob] = tenantSecrets([serverSecret], 'bob');
      // Verified at the time it was signed (the library checks the timestamp against its own clock).
      const { body, headers } = sent[0];
      expect(new Webhook(alice).verify(body, headers)).toEqual(JSON.parse(body));
      expect(() => new Webhook(bob).verify(body, headers)).toThrow();
    });
  });

  describe('rule: a 2xx answer delivers', () => {
    it.each([200, 204, 299])('records %i as delivered, with no error and no next attempt', async (status) => {
      answer = async () => status;
      const delivery = deliveries.add({ jobId: 'job-1', event: 'start' });

      await service.deliver(delivery.id, firstTry);

      expect(deliveries.attempts).toEqual([
        { id: delivery.id, attempt: { status: 'delivered', statusCode: status, error: null, nextAttemptAt: null } },
      ]);
      expect(log).toHaveBeenCalledWith(
        { jobId: 'job-1', deliveryId: delivery.id, event: 'start', statusCode: status },
        'Webhook delivered',
      );
    });
  });

  describe('rule: any other answer is retried after the queue’s delay, until the last attempt', () => {
    it.each([199, 300, 404, 500])('records %i as pending with the next attempt time', async (status) => {
      answer = async () => status;
      const delivery = deliveries.add();

      const error = await failureOf(service.deliver(delivery.id, { attemptsMade: 2, isLast: false }));

      expect(error).toBeInstanceOf(WebhookRetryError);
      expect(error.message).toBe(`The receiver answered ${status}`);
      expect((error as WebhookRetryError).delayMs).toBe(4000);
      expect(deliveries.attempts).toEqual([
        {
          id: delivery.id,
          attempt: {
            status: 'pending',
            statusCode: status,
            error: `The receiver answered ${status}`,
            nextAttemptAt: new Date(NOW + 4000),
          },
        },
      ]);
      expect(warn).toHaveBeenCalledWith(
        {
          jobId: 'job-1',
          deliveryId: delivery.id,
          statusCode: status,
          error: `The receiver answered ${status}`,
          final: false,
        },
        'Webhook not delivered',
      );
    });

    it('records the last attempt as failed, with no next attempt', async () => {
      answer = async () => 503;
      const delivery = deliveries.add();

      const error = await failureOf(service.deliver(delivery.id, { attemptsMade: 4, isLast: true }));

      expect(error).toBeInstanceOf(WebhookRetryError);
      expect(deliveries.attempts[0].attempt).toEqual({
        status: 'failed',
        statusCode: 503,
        error: 'The receiver answered 503',
        nextAttemptAt: null,
      });
      expect(warn).toHaveBeenCalledWith(expect.objectContaining({ final: true }), 'Webhook not delivered');
    });
  });

  describe('rule: a receiver gone for good (410) or a refused destination abandons the delivery', () => {
    it('abandons on 410 Gone at the first attempt', async () => {
      answer = async () => 410;
      const delivery = deliveries.add();

      const error = await failureOf(service.deliver(delivery.id, firstTry));

      expect(error).toBeInstanceOf(WebhookAbandonedError);
      expect(error.name).toBe('WebhookAbandonedError');
      expect(error.message).toBe('The receiver answered 410');
      expect(deliveries.attempts[0].attempt).toEqual({
        status: 'failed',
        statusCode: 410,
        error: 'The receiver answered 410',
        nextAttemptAt: null,
      });
    });

    it('abandons when the egress policy refuses the destination, saying why', async () => {
      answer = async () => {
        throw new DestinationRefusedError('The destination must not point at this machine');
      };
      const delivery = deliveries.add();

      const error = await failureOf(service.deliver(delivery.id, firstTry));

      expect(error).toBeInstanceOf(WebhookAbandonedError);
      expect(error.message).toBe('The destination must not point at this machine');
      expect(deliveries.attempts[0].attempt).toEqual({
        status: 'failed',
        statusCode: null,
        error: 'The destination must not point at this machine',
        nextAttemptAt: null,
      });
    });
  });

  describe('rule: an unreachable receiver is retried, described without its internals', () => {
    it.each([
      ['a timeout', Object.assign(new Error('t'), { name: 'TimeoutError' }), 'The receiver did not answer in time'],
      ['an abort', Object.assign(new Error('a'), { name: 'AbortError' }), 'The receiver did not answer in time'],
      [
        'a network error',
        Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }),
        'Could not reach the receiver (ECONNREFUSED)',
      ],
      ['an error with a numeric code', Object.assign(new Error('x'), { code: 7 }), 'Could not reach the receiver'],
      ['anything else', new Error('socket hang up'), 'Could not reach the receiver'],
    ])('%s', async (_case, thrown, description) => {
      answer = async () => {
        throw thrown;
      };
      const delivery = deliveries.add();

      const error = await failureOf(service.deliver(delivery.id, firstTry));

      expect(error).toBeInstanceOf(WebhookRetryError);
      expect(error.message).toBe(description);
      expect(deliveries.attempts[0].attempt).toEqual({
        status: 'pending',
        statusCode: null,
        error: description,
        nextAttemptAt: new Date(NOW + 1000),
      });
    });
  });
});
