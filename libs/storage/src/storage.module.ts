import { type StorageConfig, storageConfig } from '@app/config';
import { Module } from '@nestjs/common';
import { LocalMediaStorage } from './local-media-storage';
import { MediaStorage } from './media-storage';

@Module({
  providers: [
    {
      provide: MediaStorage,
      inject: [storageConfig.KEY],
      useFactory: (storage: StorageConfig): MediaStorage => {
        if (storage.driver !== 's3') return new LocalMediaStorage(storage.localDir);
        // Loaded only when used: the AWS SDK costs tens of MB of memory in every process.
        const { S3MediaStorage } = require('./s3-media-storage') as typeof import('./s3-media-storage');
        return new S3MediaStorage(storage.s3);
      },
    },
  ],
  exports: [MediaStorage],
})
export class StorageModule {}
