import { type StorageConfig, storageConfig } from '@app/config';
import { Module } from '@nestjs/common';
import { LocalMediaStorage } from './local-media-storage';
import { MediaStorage } from './media-storage';

@Module({
  providers: [
    {
      provide: MediaStorage,
      inject: [storageConfig.KEY],
      useFactory: (storage: StorageConfig) => new LocalMediaStorage(storage.localDir),
    },
  ],
  exports: [MediaStorage],
})
export class StorageModule {}
