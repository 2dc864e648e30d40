/** SQLSTATE classes and codes that mean "the database cannot serve now", not "the query is wrong". */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[1-3])/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);
// node-postgres raises these without a code when a connection cannot be had or is lost.
const POOL_MESSAGES = [/timeout exceeded when trying to connect/i, /Connection terminated/i, /Query read timeout/i];
// TypeORM's error when the connection under a transaction died mid-way.
const CONNECTION_LOST_ERRORS = new Set(['QueryRunnerAlreadyReleasedError']);

/** Whether `error` (as thrown by TypeORM or node-postgres) says PostgreSQL is unreachable. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, driverError, message, name } = error as {
    code?: unknown;
    driverError?: unknown;
    message?: unknown;
    name?: unknown;
  };
  if (typeof name === 'string' && CONNECTION_LOST_ERRORS.has(name)) return true;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || NETWORK_CODES.has(code))) return true;
  if (driverError && driverError !== error && isDatabaseUnavailable(driverError)) return true;
  return typeof message === 'string' && POOL_MESSAGES.some((pattern) => pattern.test(message));
}
