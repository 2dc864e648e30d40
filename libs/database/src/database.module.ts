import { type DatabaseConfig, databaseConfig } from '@app/config';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { buildDataSourceOptions } from './data-source.options';
import { JobEntity } from './entities/job.entity';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { JobsRepository } from './jobs.repository';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [databaseConfig.KEY],
      useFactory: (database: DatabaseConfig) => buildDataSourceOptions(database),
    }),
    TypeOrmModule.forFeature([JobEntity, WebhookDeliveryEntity]),
  ],
  providers: [JobsRepository, WebhookDeliveriesRepository],
  exports: [JobsRepository, WebhookDeliveriesRepository],
})
export class DatabaseModule {}
