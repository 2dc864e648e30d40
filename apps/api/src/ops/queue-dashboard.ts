import { timingSafeEqual } from 'node:crypto';
import type { AuthConfig } from '@app/config';
import { GENERATION_QUEUE, WEBHOOK_QUEUE } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Queue } from 'bullmq';

export const DASHBOARD_PATH = '/admin/queues';

/**
 * Bull Board's page links a web font from Google; the dashboard must work offline and leak
 * nothing, so only this origin is allowed (the page falls back to a local font). Bull Board
 * styles inline, hence 'unsafe-inline' for styles only.
 */
const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Bull Board at /admin/queues, behind HTTP basic auth, mounted only when ADMIN_USER and
 * ADMIN_PASSWORD are configured.
 */
export async function mountQueueDashboard(app: NestFastifyApplication, admin: AuthConfig['admin']): Promise<void> {
  if (!admin) return;
  // Loaded only when the dashboard is on, to keep its weight out of every api process.
  const [{ createBullBoard }, { BullMQAdapter }, { FastifyAdapter }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/fastify'),
  ]);
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: [GENERATION_QUEUE, WEBHOOK_QUEUE].map((name) => new BullMQAdapter(app.get<Queue>(getQueueToken(name)))),
    serverAdapter,
  });
  const expected = `Basic ${Buffer.from(`${admin.user}:${admin.password}`).toString('base64')}`;
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.register(
    async (scope) => {
      scope.addHook('onSend', async (_request, reply) => {
        reply.header('content-security-policy', DASHBOARD_CSP);
      });
      scope.addHook('onRequest', async (request, reply) => {
        if (!sameSecret(request.headers.authorization ?? '', expected)) {
          await reply.header('www-authenticate', 'Basic realm="mediagen queues"').code(401).send();
        }
      });
      await scope.register(serverAdapter.registerPlugin());
    },
    { prefix: DASHBOARD_PATH },
  );
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
