import { type AuthConfig, authConfig } from '@app/config';
import { QueueRedis } from '@app/queue';
import { Inject, Injectable, Logger } from '@nestjs/common';

export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
  allowed: boolean;
}

const WINDOW_MS = 60_000;

/**
 * Submissions per API key per minute, counted in Redis so every api replica shares the count
 * (a fixed one-minute window). If Redis cannot answer, submissions are let through: accepting
 * work while Redis is down matters more than the limit.
 */
@Injectable()
export class SubmitRateLimiter {
  private readonly logger = new Logger(SubmitRateLimiter.name);

  constructor(
    private readonly redis: QueueRedis,
    @Inject(authConfig.KEY) private readonly auth: AuthConfig,
  ) {}

  get enabled(): boolean {
    return this.auth.submitsPerMinute > 0;
  }

  async take(owner: string, now = Date.now()): Promise<RateLimitState> {
    const limit = this.auth.submitsPerMinute;
    const windowStart = now - (now % WINDOW_MS);
    const resetSeconds = Math.ceil((windowStart + WINDOW_MS - now) / 1000);
    try {
      const key = this.redis.key('ratelimit', 'submit', owner, String(windowStart));
      const [[, count]] = (await this.redis.client.multi().incr(key).pexpire(key, WINDOW_MS).exec()) as [
        [null, number],
      ];
      return { limit, remaining: Math.max(0, limit - count), resetSeconds, allowed: count <= limit };
    } catch (error) {
      this.logger.warn({ err: error }, 'Rate limit unavailable (Redis); letting the submission through');
      return { limit, remaining: limit, resetSeconds, allowed: true };
    }
  }
}
