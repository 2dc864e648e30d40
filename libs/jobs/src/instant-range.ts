/**
 * The one place where the instants the service accepts (in filters and cursors) are decided:
 * years 0001 to 9999, ISO 8601's four-digit years, well inside PostgreSQL's timestamptz range
 * (4713 BC to 294276 AD), so no date reaches the database out of range.
 */
export const EARLIEST_INSTANT = new Date('0001-01-01T00:00:00.000Z');
export const LATEST_INSTANT = new Date('9999-12-31T23:59:59.999Z');

export function isAcceptedInstant(date: Date): boolean {
  const time = date.getTime();
  return time >= EARLIEST_INSTANT.getTime() && time <= LATEST_INSTANT.getTime();
}
