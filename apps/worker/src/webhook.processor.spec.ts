import type { WebhookJobData } from '@app/queue';
import { type DeliveryContext, WebhookAbandonedError, type WebhookDeliveryService } from '@app/webhooks';
import { type Job, UnrecoverableError } from 'bullmq';
import { WebhookProcessor } from './webhook.processor';

const jobFor = (attemptsMade: number, attempts?: number) =>
  ({ data: { deliveryId: 'd1' }, attemptsMade, opts: { attempts } }) as unknown as Job<WebhookJobData>;

describe('WebhookProcessor', () => {
  let deliver: jest.Mock<Promise<void>, [string, DeliveryContext]>;
  let processor: WebhookProcessor;

  beforeEach(() => {
    deliver = jest.fn<Promise<void>, [string, DeliveryContext]>().mockResolvedValue(undefined);
    processor = new WebhookProcessor({ deliver } as unknown as WebhookDeliveryService);
  });

  it('rule: each BullMQ try is one delivery attempt, told how many came before', async () => {
    await processor.process(jobFor(2, 5));

    expect(deliver).toHaveBeenCalledWith('d1', { attemptsMade: 2, isLast: false });
  });

  it.each([
    [3, 5, false],
    [4, 5, true],
    [5, 5, true],
    [0, undefined, true],
  ])('rule: the try after %i of %s allowed is the last when no other follows (%s)', async (made, allowed, isLast) => {
    await processor.process(jobFor(made, allowed));

    expect(deliver).toHaveBeenCalledWith('d1', { attemptsMade: made, isLast });
  });

  it('rule: an abandoned delivery ends the BullMQ job (UnrecoverableError, same message)', async () => {
    deliver.mockRejectedValue(new WebhookAbandonedError('The receiver answered 410'));

    const processing = processor.process(jobFor(0, 5));

    await expect(processing).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(processing).rejects.toThrow('The receiver answered 410');
  });

  it('rule: any other failure is rethrown as is, so BullMQ retries it', async () => {
    const retry = new Error('The receiver answered 503');
    deliver.mockRejectedValue(retry);

    await expect(processor.process(jobFor(0, 5))).rejects.toBe(retry);
  });
});
