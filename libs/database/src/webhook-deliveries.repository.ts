import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, type QueryDeepPartialEntity, type Repository } from 'typeorm';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';

export interface NewDelivery {
  jobId: string;
  event: string;
  url: string;
  payload: Record<string, unknown>;
}

export interface DeliveryAttempt {
  status: WebhookDeliveryEntity['status'];
  statusCode: number | null;
  error: string | null;
  nextAttemptAt: Date | null;
}

@Injectable()
export class WebhookDeliveriesRepository {
  constructor(
    @InjectRepository(WebhookDeliveryEntity) private readonly deliveries: Repository<WebhookDeliveryEntity>,
  ) {}

  /** Records the event once: a second call for the same job and event returns null. */
  async insertOnce(delivery: NewDelivery): Promise<WebhookDeliveryEntity | null> {
    const result = await this.deliveries
      .createQueryBuilder()
      .insert()
      .into(WebhookDeliveryEntity)
      .values(delivery as QueryDeepPartialEntity<WebhookDeliveryEntity>)
      .orIgnore()
      .returning(['id'])
      .execute();
    const [inserted] = result.raw as { id: string }[];
    return inserted ? this.deliveries.findOneBy({ id: inserted.id }) : null;
  }

  findById(id: string): Promise<WebhookDeliveryEntity | null> {
    return this.deliveries.findOneBy({ id });
  }

  /** Pending deliveries untouched since `before` (their queue entry may be lost). */
  findPendingUntouchedSince(before: Date, limit: number): Promise<WebhookDeliveryEntity[]> {
    return this.deliveries.find({
      where: { status: 'pending', updatedAt: LessThan(before) },
      order: { updatedAt: 'ASC' },
      take: limit,
    });
  }

  listForJob(jobId: string): Promise<WebhookDeliveryEntity[]> {
    return this.deliveries.find({ where: { jobId }, order: { createdAt: 'ASC' } });
  }

  async recordAttempt(id: string, attempt: DeliveryAttempt): Promise<void> {
    await this.deliveries
      .createQueryBuilder()
      .update(WebhookDeliveryEntity)
      .set({
        status: attempt.status,
        attempts: () => 'attempts + 1',
        lastStatusCode: attempt.statusCode,
        lastError: attempt.error,
        nextAttemptAt: attempt.nextAttemptAt,
        ...(attempt.status === 'delivered' && { deliveredAt: () => 'now()' }),
        updatedAt: () => 'now()',
      })
      .where({ id })
      .execute();
  }
}
