import { type StorageConfig, storageConfig } from '@app/config';
import { Module } from '@nestjs/common';
import { LocalMediaStorage } from './local-media-storage';
import { MediaStorage } from './media-storage';
import { S3MediaStorage } from './s3-media-storage';

@Module({
  providers: [
    {
      provide: MediaStorage,
      inject: [storageConfig.KEY],
      useFactory: (storage: StorageConfig): MediaStorage =>
        storage.driver === 's3' ? new S3MediaStorage(storage.s3) : new LocalMediaStorage(storage.localDir),
    },
  ],
  exports: [MediaStorage],
})
export class StorageModule {}
