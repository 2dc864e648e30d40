import type { Logger } from '@nestjs/common';

type Fields = Record<string, unknown>;

/**
 * A Nest logger whose every line carries fixed fields (say `jobId` and `attempt`), the way a pino
 * child does, so the code that logs names only what is particular to each line.
 */
export class BoundLogger {
  constructor(
    private readonly logger: Logger,
    private readonly bindings: Fields,
  ) {}

  log(message: string, fields: Fields = {}): void {
    this.logger.log({ ...this.bindings, ...fields }, message);
  }

  warn(message: string, fields: Fields = {}): void {
    this.logger.warn({ ...this.bindings, ...fields }, message);
  }
}
