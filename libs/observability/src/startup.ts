import type { AppConfig, AuthConfig, GeneratorConfig, QueueConfig, StorageConfig } from '@app/config';
import type { LoggerService } from '@nestjs/common';
import pino, { type Logger as PinoLogger } from 'pino';

/**
 * The one place where the apps' start-up is worded: the logger used before Nest runs, the single
 * "ready" line of each app, and the demotion of Nest's module-loading chatter to debug.
 */

/** A pino logger for the lines before Nest's logger exists, formatted as the app's own (LOG_FORMAT, LOG_LEVEL). */
export function startupLogger(app: AppConfig): PinoLogger {
  const options = { level: app.logLevel, base: { pid: process.pid, context: 'Startup' } };
  if (!app.prettyLogs) return pino(options);
  // Loaded only for LOG_FORMAT=pretty: a production process never holds the formatter.
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pino(options, pretty({ singleLine: true, sync: true }));
}

interface ServiceSettings {
  app: AppConfig;
  generator: GeneratorConfig;
  storage: StorageConfig;
}

/** `http://localhost:8000` for a server bound to every interface, else its own host. */
export function localUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}

function generatorPart(generator: GeneratorConfig): string {
  return generator.kind === 'replicate' ? `generator replicate (${generator.defaultModel})` : 'generator mock';
}

function storagePart(storage: StorageConfig): string {
  return storage.driver === 's3'
    ? `storage s3 (${storage.s3.bucket}${storage.s3.keyPrefix ? `/${storage.s3.keyPrefix}` : ''})`
    : `storage local (${storage.localDir})`;
}

/** The api's ready line: its URLs (as clients reach them, PUBLIC_BASE_URL), generator, storage and auth. */
export function apiReadyLine(settings: ServiceSettings & { auth: AuthConfig }): string {
  const { app, auth } = settings;
  const base = app.publicBaseUrl;
  const keys = Object.keys(auth.keyOwnersByHash).length;
  return [
    `mediagen api ready on ${app.host}:${app.port}`,
    `api ${base}/v1`,
    `docs ${base}/docs`,
    app.uiEnabled ? `page ${base}/` : 'page off (UI_ENABLED=false)',
    `metrics ${base}/metrics`,
    generatorPart(settings.generator),
    storagePart(settings.storage),
    keys > 0 ? `auth ${keys} API key(s)` : 'auth open (API_KEYS unset)',
  ].join(' · ');
}

/** Where the worker's health server listens, as its ready line tells it. */
export type HealthListening = { port: number; configured: number } | null;

/** The worker's ready line: its health and metrics URLs (or that they are off), generator, storage, queue. */
export function workerReadyLine(settings: ServiceSettings & { queue: QueueConfig; health: HealthListening }): string {
  const { app, queue, health } = settings;
  let healthPart = 'health off (WORKER_HEALTH_PORT=off)';
  if (health) {
    const base = localUrl(app.host, health.port);
    const taken =
      health.configured > 0 && health.configured !== health.port
        ? ` (WORKER_HEALTH_PORT ${health.configured} was taken)`
        : '';
    healthPart = `health ${base}/health/ready${taken} · metrics ${base}/metrics`;
  }
  return [
    'mediagen worker ready',
    healthPart,
    generatorPart(settings.generator),
    storagePart(settings.storage),
    `concurrency ${queue.concurrency}`,
    `queue prefix ${queue.prefix}`,
  ].join(' · ');
}

/** Nest's contexts that narrate module loading and route mapping: useful when debugging, noise otherwise. */
const FRAMEWORK_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
  'NestApplicationContext',
]);

/** Passes every entry on to `inner`, but Nest's module-loading lines at debug instead of info. */
export class QuietFrameworkLogger implements LoggerService {
  constructor(private readonly inner: LoggerService) {}

  log(message: unknown, ...optional: unknown[]): void {
    const context = optional.at(-1);
    if (typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context)) this.inner.debug?.(message, ...optional);
    else this.inner.log(message, ...optional);
  }

  error(message: unknown, ...optional: unknown[]): void {
    // NestApplication logs a failed listen, then rethrows it to main.ts, which reports it in one line.
    if (optional.at(-1) === 'NestApplication') this.inner.debug?.(message, ...optional);
    else this.inner.error(message, ...optional);
  }

  warn(message: unknown, ...optional: unknown[]): void {
    this.inner.warn(message, ...optional);
  }

  debug(message: unknown, ...optional: unknown[]): void {
    this.inner.debug?.(message, ...optional);
  }

  verbose(message: unknown, ...optional: unknown[]): void {
    this.inner.verbose?.(message, ...optional);
  }

  fatal(message: unknown, ...optional: unknown[]): void {
    (this.inner.fatal ?? this.inner.error).call(this.inner, message, ...optional);
  }
}

/** One line for a failed start: a port in use names its variable; other errors keep their message. */
export function startupFailure(app: string, error: unknown, portVariable: string): string {
  const err = error as NodeJS.ErrnoException & { port?: number; address?: string };
  if (err?.code === 'EADDRINUSE') {
    return `${app} failed to start: ${portVariable} ${err.port ?? ''} is already in use${err.address ? ` on ${err.address}` : ''}: stop the other process or set ${portVariable} to a free port`;
  }
  return `${app} failed to start: ${error instanceof Error ? error.message : String(error)}`;
}
