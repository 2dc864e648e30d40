import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  paginateListObjectsV2,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DigestStream } from './digest-stream';
import { assertSafeKey } from './media-key';
import type { MediaServing } from './media-serving';
import { type ChunkMeter, type MediaObject, MediaStorage, type StoredMedia } from './media-storage';

export interface S3StorageSettings {
  bucket: string;
  region: string;
  /** A custom endpoint (MinIO, R2, s3rver...); the AWS endpoint for `region` when unset. */
  endpoint?: string;
  forcePathStyle: boolean;
  /** Static credentials, used only when both are set; otherwise the SDK's default provider chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Prepended to every media key, e.g. `media/`. */
  keyPrefix: string;
  /** How long a presigned download URL stays valid. */
  urlTtlSeconds: number;
}

/** Keeps media as objects in an S3 (or S3-compatible) bucket, under `keyPrefix`. */
export class S3MediaStorage extends MediaStorage {
  private readonly client: S3Client;
  private readonly ownsClient: boolean;

  constructor(
    private readonly settings: S3StorageSettings,
    client?: S3Client,
  ) {
    super();
    this.ownsClient = client === undefined;
    this.client = client ?? S3MediaStorage.createClient(settings);
  }

  static createClient({ region, endpoint, forcePathStyle, accessKeyId, secretAccessKey }: S3StorageSettings): S3Client {
    const credentials = accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined;
    return new S3Client({ region, endpoint, forcePathStyle, credentials });
  }

  async save(key: string, content: Readable, contentType: string, meter?: ChunkMeter): Promise<StoredMedia> {
    const digest = new DigestStream(meter);
    // Upload streams the body in parts (5 MiB each, a few in flight), so the whole file is never buffered.
    // A body that fails before its end is never completed: S3 keeps the previous object, if any.
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.settings.bucket, Key: this.objectKey(key), Body: digest, ContentType: contentType },
    });
    const [piped, uploaded] = await Promise.allSettled([
      pipeline(content, digest),
      // When the upload fails first, stop reading the source so the pipeline settles too.
      upload.done().catch((error: unknown) => {
        digest.destroy(error as Error);
        throw error;
      }),
    ]);
    // The source's own error is the root cause when both fail.
    if (piped.status === 'rejected') throw piped.reason;
    if (uploaded.status === 'rejected') throw uploaded.reason;
    return { key, contentType, bytes: digest.bytes, sha256: digest.hex() };
  }

  async open(key: string): Promise<MediaObject | null> {
    try {
      // Size and stream come from one response, so a concurrent replace cannot mix them up.
      const { Body, ContentLength } = await this.client.send(
        new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }),
      );
      if (!(Body instanceof Readable)) throw new Error(`S3 returned no readable body for ${JSON.stringify(key)}`);
      return { stream: Body, bytes: ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async move(from: string, to: string): Promise<boolean> {
    const Bucket = this.settings.bucket;
    const source = this.objectKey(from);
    try {
      // S3 has no rename: a server-side copy (one atomic write of `to`) and a delete.
      await this.client.send(
        new CopyObjectCommand({ Bucket, Key: this.objectKey(to), CopySource: `${Bucket}/${encodeURI(source)}` }),
      );
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
    await this.client.send(new DeleteObjectCommand({ Bucket, Key: source }));
    return true;
  }

  async removeAll(prefix: string): Promise<void> {
    await this.removeListed({ Prefix: `${this.objectKey(prefix)}/` });
  }

  async removeStartingWith(keyPrefix: string): Promise<void> {
    // The delimiter keeps the listing to the prefix's own folder: keys below it are only summarised.
    await this.removeListed({ Prefix: this.objectKey(keyPrefix), Delimiter: '/' });
  }

  /** Deletes every object a listing of the bucket with `filter` names. */
  private async removeListed(filter: { Prefix: string; Delimiter?: string }): Promise<void> {
    const Bucket = this.settings.bucket;
    const pages = paginateListObjectsV2({ client: this.client }, { Bucket, ...filter });
    // A listing page holds at most 1000 keys, which is also the most one DeleteObjects call accepts.
    for await (const page of pages) {
      const objects = (page.Contents ?? []).flatMap(({ Key }) => (Key ? [{ Key }] : []));
      if (objects.length === 0) continue;
      const { Errors } = await this.client.send(
        new DeleteObjectsCommand({ Bucket, Delete: { Objects: objects, Quiet: true } }),
      );
      if (Errors?.length) {
        const [first] = Errors;
        throw new Error(
          `Could not delete ${Errors.length} object(s), first ${first.Key}: ${first.Code} ${first.Message}`,
        );
      }
    }
  }

  /** A URL that downloads `key` with a plain GET for the next `urlTtlSeconds`, served as `serving` says. */
  directUrl(key: string, serving: MediaServing): Promise<string> {
    return this.presignedUrl(key, serving);
  }

  async presignedUrl(key: string, serving?: MediaServing): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.settings.bucket,
      Key: this.objectKey(key),
      // Signed into the URL, so S3 answers with these whatever type the object was stored with.
      ResponseContentType: serving?.contentType,
      ResponseContentDisposition: serving?.disposition,
    });
    return getSignedUrl(this.client, command, { expiresIn: this.settings.urlTtlSeconds });
  }

  /** Closes the client's sockets when this storage created it (Nest calls this on shutdown). */
  onModuleDestroy(): void {
    if (this.ownsClient) this.client.destroy();
  }

  private objectKey(key: string): string {
    assertSafeKey(key);
    return this.settings.keyPrefix + key;
  }
}

/** A missing object, but not a missing bucket: that is a misconfiguration and must surface. */
function isNotFound(error: unknown): boolean {
  if (!(error instanceof S3ServiceException) || error.name === 'NoSuchBucket') return false;
  return error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404;
}
