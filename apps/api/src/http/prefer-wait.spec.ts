import { MAX_WAIT_SECONDS } from '@app/jobs';
import { preferredWaitSeconds } from './prefer-wait';

describe('preferredWaitSeconds', () => {
  it.each([
    ['wait=10', 10],
    ['wait=0', 0],
    ['WAIT = 5', 5],
    ['wait="7"', 7],
    ['respond-async, wait=30', 30],
    ['return=minimal; wait=12', 12],
    ['wait=3600', MAX_WAIT_SECONDS],
  ])('reads %j as %d seconds, capped at the longest wait', (prefer, seconds) => {
    expect(preferredWaitSeconds(prefer)).toBe(seconds);
  });

  it.each(['wait', 'Wait', 'respond-async, wait', 'wait ; handling=lenient'])(
    'reads a bare %j, as Replicate clients send it, as the longest wait',
    (prefer) => {
      expect(preferredWaitSeconds(prefer)).toBe(MAX_WAIT_SECONDS);
    },
  );

  it.each([undefined, '', 'respond-async', 'waiting=10', 'nowait', 'wait=soon', 'wait=-1', 'handling=strict'])(
    'reads %j as no wait',
    (prefer) => {
      expect(preferredWaitSeconds(prefer)).toBe(0);
    },
  );
});
