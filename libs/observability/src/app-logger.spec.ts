import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppLogger, bufferedLogDestination, createPino, STDOUT_FLUSH_INTERVAL_MS } from './app-logger';
import { runInRequest } from './request-context';

/** An AppLogger at `level` writing JSON lines into `lines`. */
function capture(level = 'info'): { logger: AppLogger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: new AppLogger(createPino({ level, pretty: false }, sink)), lines };
}

describe('AppLogger', () => {
  it('writes fields, message and the Nest context as one JSON line', () => {
    const { logger, lines } = capture();

    logger.warn({ jobId: 'job-1' }, 'Could not enqueue', 'JobsService');

    expect(lines).toEqual([
      expect.objectContaining({ level: 40, jobId: 'job-1', msg: 'Could not enqueue', context: 'JobsService' }),
    ]);
    expect(lines[0]).not.toHaveProperty('req');
  });

  it('carries the id of the request the line is written for', async () => {
    const { logger, lines } = capture();

    await new Promise<void>((done) =>
      runInRequest('request-7', () => {
        void Promise.resolve().then(() => {
          logger.log('inside', 'JobsController');
          done();
        });
      }),
    );
    logger.log('outside');

    expect(lines[0]).toMatchObject({ msg: 'inside', req: { id: 'request-7' } });
    expect(lines[1]).not.toHaveProperty('req');
  });

  it('logs an Error as err, and Nest exception handlers’ (message, stack, context) as an error with that stack', () => {
    const { logger, lines } = capture();

    logger.error(new Error('boom'), 'Worker');
    logger.error('Unhandled', 'Error: Unhandled\n    at somewhere (file.ts:1:1)', 'ExceptionsHandler');

    expect(lines[0]).toMatchObject({ level: 50, context: 'Worker', err: { message: 'boom' } });
    expect(lines[1]).toMatchObject({
      level: 50,
      context: 'ExceptionsHandler',
      err: { message: 'Unhandled', stack: expect.stringContaining('at somewhere') },
    });
  });

  it('writes nothing below its level and maps verbose to trace', () => {
    const { logger, lines } = capture('warn');

    logger.log('info line');
    logger.debug('debug line');
    logger.verbose('trace line');
    logger.fatal('fatal line');

    expect(lines.map((line) => line.msg)).toEqual(['fatal line']);
  });

  it('never writes credentials found in headers', () => {
    const { logger, lines } = capture();

    logger.log({ req: { headers: { authorization: 'Bearer secret', 'x-api-key': 'k' } } }, 'headers');

    expect(JSON.stringify(lines[0])).not.toMatch(/secret|"k"/);
  });

  it('gathers lines into few writes: a short line waits for the next flush, a burst is written at once', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'app-logger-')), 'stdout');
    const fd = openSync(file, 'a');
    const destination = bufferedLogDestination(fd);
    const pino = createPino({ level: 'info', pretty: false }, destination);
    try {
      pino.info('first');
      await sleep(STDOUT_FLUSH_INTERVAL_MS / 5);
      expect(readFileSync(file, 'utf8')).toBe('');

      await sleep(STDOUT_FLUSH_INTERVAL_MS * 3);
      expect(readFileSync(file, 'utf8')).toContain('"msg":"first"');

      for (let line = 0; line < 100; line++) pino.info({ line }, 'burst');
      await sleep(50);
      expect(readFileSync(file, 'utf8')).toContain('"line":0,');
    } finally {
      destination.destroy(); // closes fd
    }
  });
});
