import { DatabaseModule } from '@app/database';
import { QueueModule } from '@app/queue';
import { GeneratorModule } from '@app/replicate';
import { StorageModule } from '@app/storage';
import { Module } from '@nestjs/common';
import { GenerationService } from './generation.service';
import { JobsService } from './jobs.service';

@Module({
  imports: [DatabaseModule, QueueModule, GeneratorModule, StorageModule],
  providers: [JobsService, GenerationService],
  exports: [JobsService, GenerationService],
})
export class JobsModule {}
