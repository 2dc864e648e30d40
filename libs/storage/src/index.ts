export { LocalMediaStorage } from './local-media-storage';
export {
  attemptOutputName,
  attemptOutputPrefix,
  InvalidMediaKeyError,
  isSafeSegment,
  legacyStagedKey,
  legacyStagingFolder,
  mediaKey,
  stagedKey,
  stagingPrefix,
} from './media-key';
export { DOWNLOAD_CONTENT_TYPE, type MediaServing, mediaServing, SERVED_CONTENT_TYPES } from './media-serving';
export { type ChunkMeter, type MediaObject, MediaStorage, type StoredMedia } from './media-storage';
export type { S3StorageSettings } from './s3-media-storage';
export { StorageModule } from './storage.module';
