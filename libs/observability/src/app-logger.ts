import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type LoggerOptions, type Logger as Pino } from 'pino';
import { currentRequestId } from './request-context';

/** Never logged: credentials, whichever line would carry request or response headers. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/**
 * JSON lines are gathered up to this many bytes (about fifteen request lines) before one write to
 * stdout, and written at least this often whatever the traffic. One write per line cost a system
 * call on every request. The write itself is synchronous, as pino's own default is: handing each
 * batch to libuv's thread pool cost more CPU (a queued task, a thread wake-up, a callback) than the
 * write. Lines still held when the process exits, crash included, are written on the way out (see
 * `sharedStdout`); only a SIGKILL or the kernel's OOM killer can lose them.
 */
const STDOUT_BUFFER_BYTES = 4096;
export const STDOUT_FLUSH_INTERVAL_MS = 500;

type BufferedDestination = ReturnType<typeof pino.destination>;

/** Where the JSON lines go: file descriptor `fd` (stdout), buffered as above. */
export function bufferedLogDestination(fd = 1): BufferedDestination {
  return pino.destination({
    dest: fd,
    sync: true,
    minLength: STDOUT_BUFFER_BYTES,
    periodicFlush: STDOUT_FLUSH_INTERVAL_MS,
  });
}

/**
 * The process's one buffer in front of stdout, whichever loggers write to it (an api and a worker
 * built in one test process, say): two buffers on one descriptor would put lines out of order.
 */
let stdout: BufferedDestination | undefined;

function sharedStdout(): BufferedDestination {
  if (stdout === undefined) {
    const destination = bufferedLogDestination();
    // pino flushes only asynchronous destinations at exit by itself.
    process.once('exit', () => destination.flushSync());
    stdout = destination;
  }
  return stdout;
}

export interface AppLoggerSettings {
  level: string;
  /** Pretty single-line output for a person at a terminal; JSON lines otherwise. */
  pretty: boolean;
}

/**
 * The process's pino logger (buffered to stdout unless given a destination, pretty output through
 * pino-pretty's worker); lines written while serving a request carry `req.id`.
 */
export function createPino(settings: AppLoggerSettings, destination?: DestinationStream): Pino {
  const options: LoggerOptions = {
    level: settings.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    mixin: () => {
      const id = currentRequestId();
      return id === undefined ? {} : { req: { id } };
    },
  };
  if (settings.pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { singleLine: true } } });
  return pino(options, destination ?? sharedStdout());
}

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * Nest's logger (every `new Logger(Context)` and Nest's own lines) written through pino:
 * `logger.warn({ jobId, err }, 'message')` gives one JSON line with those fields, the message and
 * `context`. An Error as first argument becomes `err`.
 */
export class AppLogger implements LoggerService {
  constructor(readonly pino: Pino) {}

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    // Nest passes the logger's context last; what comes between is the message (or a stack).
    const fields: Record<string, unknown> = {};
    let rest = params;
    if (params.length > 0) {
      fields.context = params[params.length - 1];
      rest = params.slice(0, -1);
    }
    if (message instanceof Error) {
      fields.err = message;
      this.pino[level](fields, ...(rest as [string]));
    } else if (typeof message === 'object' && message !== null) {
      this.pino[level](Object.assign(fields, message), ...(rest as [string]));
    } else if (level === 'error' && rest.length === 1 && typeof rest[0] === 'string' && /\n\s*at /.test(rest[0])) {
      // Nest's exception handlers log (message, stack, context).
      const err = new Error(String(message));
      err.stack = rest[0];
      this.pino.error({ ...fields, err });
    } else {
      this.pino[level](fields, String(message), ...rest);
    }
  }
}
