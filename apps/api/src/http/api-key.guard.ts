import { createHash } from 'node:crypto';
import { type AuthConfig, authConfig } from '@app/config';
import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

type AuthenticatedRequest = FastifyRequest & { owner?: string };

/** `Bearer <key>`; the scheme name is case-insensitive (RFC 9110). */
const BEARER = /^Bearer +(\S+) *$/i;

/**
 * With API_KEYS configured, every request must carry `Authorization: Bearer <key>`; the key's
 * name becomes the owner of what it creates. Only SHA-256 digests of keys are configured, so
 * the keys themselves are never stored. Without keys the API is open and everything belongs to ''.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(authConfig.KEY) private readonly auth: AuthConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (Object.keys(this.auth.keyOwnersByHash).length === 0) {
      request.owner = '';
      return true;
    }
    const key = BEARER.exec(request.headers.authorization ?? '')?.[1];
    const owner = key ? this.auth.keyOwnersByHash[sha256(key)] : undefined;
    if (owner === undefined) throw new UnauthorizedException('Send a valid API key as `Authorization: Bearer <key>`');
    request.owner = owner;
    return true;
  }
}

/** The API key name behind the request ('' when the API is open); set by ApiKeyGuard. */
export const Owner = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<AuthenticatedRequest>().owner ?? '',
);

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
