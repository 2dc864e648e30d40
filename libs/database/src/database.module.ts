import { type DatabaseConfig, databaseConfig } from '@app/config';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { buildDataSourceOptions } from './data-source.options';
import { JobEntity } from './entities/job.entity';
import { JobsRepository } from './jobs.repository';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [databaseConfig.KEY],
      useFactory: (database: DatabaseConfig) => buildDataSourceOptions(database),
    }),
    TypeOrmModule.forFeature([JobEntity]),
  ],
  providers: [JobsRepository],
  exports: [JobsRepository],
})
export class DatabaseModule {}
