import { createHash } from 'node:crypto';
import type { AuthConfig } from '@app/config';
import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key name behind an API request ('' when the API is open); unset outside `/v1/`. */
    owner?: string;
    /** A capability token presented instead of an API key, on the media route only (see MediaCapabilities). */
    mediaToken?: string;
  }
}

/** `Bearer <key>`; the scheme name is case-insensitive (RFC 9110). */
const BEARER = /^Bearer +(\S+) *$/i;

/** Everything the API offers lives under `/v1/`; the rest (health, metrics, docs, the try-it page) is open. */
const API_PREFIX = '/v1/';

/** The one route that also takes a capability token (`?token=`) instead of a key: an output file. */
export const MEDIA_ROUTE = '/v1/media/:jobId/:file';

/**
 * The one place where API keys are checked. With API_KEYS configured, every request under `/v1/`
 * must carry `Authorization: Bearer <key>`; the key's name becomes the owner of what it creates.
 * Only SHA-256 digests of keys are configured, so the keys themselves are never stored. Without
 * keys the API is open and everything belongs to ''.
 *
 * It runs as a Fastify `onRequest` hook, before the body is read: a client without a valid key is
 * answered 401 right after its headers, and the connection is closed, so it cannot hold an upload
 * open. Outside `/v1/` nothing is checked: `/health/*`, `/metrics`, `/docs`, `/redoc`, the try-it
 * page and its assets, and the queue dashboard (behind its own basic auth).
 *
 * The media route also takes, instead of a key, a capability token for the file (`?token=`, given
 * out in Replicate-shaped output URLs, which clients fetch without a key). It is passed on as
 * `mediaToken` and checked, in constant time, by the job domain before anything is read.
 */
export function authenticateApiRequests(fastify: FastifyInstance, auth: AuthConfig): void {
  const open = Object.keys(auth.keyOwnersByHash).length === 0;
  // A callback hook, not an async one: it runs on every request and never waits.
  fastify.addHook('onRequest', (request, reply, done) => done(authenticate(request, reply)));

  function authenticate(request: FastifyRequest, reply: FastifyReply): UnauthorizedException | undefined {
    if (!isApiRequest(request)) return;
    if (open) {
      request.owner = '';
      return;
    }
    const token = mediaToken(request);
    if (token !== undefined) {
      request.mediaToken = token;
      return;
    }
    const key = BEARER.exec(request.headers.authorization ?? '')?.[1];
    const owner = key ? auth.keyOwnersByHash[sha256(key)] : undefined;
    if (owner === undefined) {
      reply.header('connection', 'close');
      return new UnauthorizedException('Send a valid API key as `Authorization: Bearer <key>`');
    }
    request.owner = owner;
  }
}

/** Matched routes by their pattern (percent-encoding cannot dodge it), unmatched ones by their path. */
function isApiRequest(request: FastifyRequest): boolean {
  return (request.is404 ? request.url : (request.routeOptions.url ?? request.url)).startsWith(API_PREFIX);
}

function mediaToken(request: FastifyRequest): string | undefined {
  if (request.is404 || request.routeOptions.url !== MEDIA_ROUTE) return undefined;
  const token = (request.query as Record<string, unknown> | undefined)?.token;
  return typeof token === 'string' ? token : undefined;
}

/**
 * Marks a controller as API-key protected. The key itself is checked before the body is read (see
 * `authenticateApiRequests`); this guard only refuses a route the check did not cover (one mounted
 * outside `/v1/`), so a misplaced route fails closed. A media request with a capability token
 * passes here; the route itself checks the token.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.owner === undefined && request.mediaToken === undefined) {
      throw new UnauthorizedException('This route is not covered by the API key check');
    }
    return true;
  }
}

/** The API key name behind the request ('' when the API is open); set by `authenticateApiRequests`. */
export const Owner = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<FastifyRequest>().owner ?? '',
);

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
