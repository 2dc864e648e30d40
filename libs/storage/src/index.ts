export { LocalMediaStorage } from './local-media-storage';
export { InvalidMediaKeyError, isSafeSegment, mediaKey } from './media-key';
export { type MediaObject, MediaStorage, type StoredMedia } from './media-storage';
export { StorageModule } from './storage.module';
