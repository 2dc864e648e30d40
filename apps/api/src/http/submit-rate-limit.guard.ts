import { type CanActivate, type ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SubmitRateLimiter } from './submit-rate-limiter';

/** Thrown past a key's submit limit; the problem filter adds Retry-After. */
export class RateLimitedException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many submissions for this API key; try again after Retry-After seconds', HttpStatus.TOO_MANY_REQUESTS);
  }
}

/** Counts a submission against its API key's per-minute limit and reports it in RateLimit-* headers. */
@Injectable()
export class SubmitRateLimitGuard implements CanActivate {
  constructor(private readonly limiter: SubmitRateLimiter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.limiter.enabled) return true;
    const http = context.switchToHttp();
    const owner = http.getRequest<FastifyRequest & { owner?: string }>().owner ?? '';
    const state = await this.limiter.take(owner);
    http.getResponse<FastifyReply>().headers({
      'ratelimit-limit': String(state.limit),
      'ratelimit-remaining': String(state.remaining),
      'ratelimit-reset': String(state.resetSeconds),
    });
    if (!state.allowed) throw new RateLimitedException(state.resetSeconds);
    return true;
  }
}
