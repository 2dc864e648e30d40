import { isFinalAttempt } from './attempt-policy';

describe('isFinalAttempt (the rule that decides when a job or delivery may not be tried again)', () => {
  it('is false before the last allowed attempt', () => {
    expect(isFinalAttempt(1, 3)).toBe(false);
    expect(isFinalAttempt(2, 3)).toBe(false);
  });

  it('is true on the last allowed attempt and beyond it', () => {
    expect(isFinalAttempt(3, 3)).toBe(true);
    expect(isFinalAttempt(4, 3)).toBe(true);
  });
});
