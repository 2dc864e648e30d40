import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

export const MEDIA_PATH_PREFIX = '/v1/media/';

/**
 * No type sniffing, and a sandboxed, script-less document: a stored HTML or SVG output opened
 * directly can never run script on the api's origin, where the try-it page lives.
 */
export const MEDIA_SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': 'sandbox',
} as const;

/**
 * Puts MEDIA_SECURITY_HEADERS on every answer under /v1/media/: files, redirects, 304s and
 * errors alike, whichever hook, guard or filter produced them (Fastify's onSend sees them all).
 */
@Injectable()
export class MediaSecurityHeaders implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onSend', (request, reply, payload, done) => {
      if (request.url.startsWith(MEDIA_PATH_PREFIX)) reply.headers(MEDIA_SECURITY_HEADERS);
      done(null, payload);
    });
  }
}
