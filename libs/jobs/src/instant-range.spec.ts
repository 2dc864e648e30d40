import { EARLIEST_INSTANT, isAcceptedInstant, LATEST_INSTANT } from './instant-range';

describe('the instants the service accepts', () => {
  it('are the years 0001 to 9999, both ends included', () => {
    expect(EARLIEST_INSTANT.toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(LATEST_INSTANT.toISOString()).toBe('9999-12-31T23:59:59.999Z');
    expect(isAcceptedInstant(EARLIEST_INSTANT)).toBe(true);
    expect(isAcceptedInstant(LATEST_INSTANT)).toBe(true);
    expect(isAcceptedInstant(new Date('2026-11-30T10:00:00Z'))).toBe(true);
  });

  it('refuse anything a millisecond outside, and an invalid date', () => {
    expect(isAcceptedInstant(new Date(EARLIEST_INSTANT.getTime() - 1))).toBe(false);
    expect(isAcceptedInstant(new Date(LATEST_INSTANT.getTime() + 1))).toBe(false);
    expect(isAcceptedInstant(new Date('not a date'))).toBe(false);
  });
});
