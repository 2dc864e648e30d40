import { createHmac, timingSafeEqual } from 'node:crypto';
import { type WebhooksConfig, webhooksConfig } from '@app/config';
import { Inject, Injectable } from '@nestjs/common';

/** Names what the derived key is for, so the server secret never yields the same key for another use. */
const PURPOSE = 'mediagen media capability v1';

/**
 * The one place where capability URLs for outputs are decided. A token lets whoever holds it read
 * one output file of one job without an API key (Replicate's clients fetch output URLs without
 * one): HMAC-SHA256 over the job id and the file name, keyed by a key derived from a server secret
 * (WEBHOOK_SECRETS, the server's one secret) for this purpose only. Outputs are immutable, so a
 * token does not expire; retention still removes the file. The newest server secret signs and
 * every configured one verifies, so a rotation keeps old URLs working until their secret is
 * removed. Without server secrets there are no tokens: output URLs then need the API key.
 */
@Injectable()
export class MediaCapabilities {
  private readonly keys: Buffer[];

  constructor(@Inject(webhooksConfig.KEY) config: Pick<WebhooksConfig, 'secrets'>) {
    this.keys = config.secrets.map((secret) => {
      // Stryker disable next-line Regex: base64 has no '_', so whsec_ can only ever appear as the prefix
      const serverKey = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
      return createHmac('sha256', serverKey).update(PURPOSE).digest();
    });
  }

  /** The token granting `file` of job `jobId`, or null when the server has no secret to sign with. */
  token(jobId: string, file: string): string | null {
    const newest = this.keys.at(-1);
    return newest ? sign(newest, jobId, file) : null;
  }

  /** Whether `token` grants `file` of job `jobId`, compared in constant time with each key's token. */
  grants(jobId: string, file: string, token: string): boolean {
    const presented = Buffer.from(token);
    return this.keys.some((key) => {
      const expected = Buffer.from(sign(key, jobId, file));
      return expected.length === presented.length && timingSafeEqual(expected, presented);
    });
  }
}

function sign(key: Buffer, jobId: string, file: string): string {
  return createHmac('sha256', key).update(`${jobId}\0${file}`).digest('base64url');
}
