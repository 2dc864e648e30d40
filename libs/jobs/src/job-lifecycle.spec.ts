import { JOB_STATUSES, type JobStatus } from '@app/database';
import { canTransition, isClaimed, isTerminal, statusesLeadingTo } from './job-lifecycle';

const ALLOWED: ReadonlyArray<[JobStatus, JobStatus]> = [
  ['queued', 'processing'],
  ['queued', 'failed'],
  ['queued', 'canceled'],
  ['processing', 'processing'],
  ['processing', 'queued'],
  ['processing', 'succeeded'],
  ['processing', 'failed'],
  ['processing', 'canceled'],
];

const isAllowed = (from: JobStatus, to: JobStatus) => ALLOWED.some(([a, b]) => a === from && b === to);
const everyPair = JOB_STATUSES.flatMap((from) => JOB_STATUSES.map((to): [JobStatus, JobStatus] => [from, to]));

describe('job lifecycle', () => {
  describe('canTransition', () => {
    it('lets a queued job start processing', () => {
      expect(canTransition('queued', 'processing')).toBe(true);
    });

    it('lets a processing job go back to queued for a pending retry', () => {
      expect(canTransition('processing', 'queued')).toBe(true);
    });

    it('lets a processing job be processed again when a stalled attempt restarts', () => {
      expect(canTransition('processing', 'processing')).toBe(true);
    });

    it.each<JobStatus>(['succeeded', 'failed', 'canceled'])('lets a processing job end as %s', (to) => {
      expect(canTransition('processing', to)).toBe(true);
    });

    it.each<JobStatus>(['canceled', 'failed'])('lets a queued job end as %s without being processed', (to) => {
      expect(canTransition('queued', to)).toBe(true);
    });

    it('does not let a queued job succeed without being processed', () => {
      expect(canTransition('queued', 'succeeded')).toBe(false);
    });

    it('does not let a queued job move to queued again', () => {
      expect(canTransition('queued', 'queued')).toBe(false);
    });

    it.each(everyPair)('answers %s → %s exactly as the lifecycle table says', (from, to) => {
      expect(canTransition(from, to)).toBe(isAllowed(from, to));
    });
  });

  describe('isTerminal', () => {
    it.each<JobStatus>(['succeeded', 'failed', 'canceled'])(
      'treats %s as terminal, allowing no move at all',
      (status) => {
        expect(isTerminal(status)).toBe(true);
        for (const to of JOB_STATUSES) expect(canTransition(status, to)).toBe(false);
      },
    );

    it.each<JobStatus>(['queued', 'processing'])('treats %s as not terminal', (status) => {
      expect(isTerminal(status)).toBe(false);
    });
  });

  describe('statusesLeadingTo', () => {
    it('says a job may start processing from queued or from processing (a restarted stalled attempt)', () => {
      expect(statusesLeadingTo('processing')).toEqual(['queued', 'processing']);
    });

    it('says only a processing job may succeed', () => {
      expect(statusesLeadingTo('succeeded')).toEqual(['processing']);
    });

    it('says only a processing job may go back to queued', () => {
      expect(statusesLeadingTo('queued')).toEqual(['processing']);
    });

    it.each<JobStatus>(['failed', 'canceled'])('says a job may become %s from queued or processing', (to) => {
      expect([...statusesLeadingTo(to)].sort()).toEqual(['processing', 'queued']);
    });

    it.each([...JOB_STATUSES])('lists for %s exactly the statuses that canTransition allows', (to) => {
      const expected = JOB_STATUSES.filter((from) => isAllowed(from, to));
      expect([...statusesLeadingTo(to)].sort()).toEqual([...expected].sort());
    });
  });

  describe('isClaimed', () => {
    const output = { file: '0.png', contentType: 'image/png', bytes: 1, sha256: 'x' };

    it('is a processing job that lists outputs (an older release claimed it)', () => {
      expect(isClaimed({ status: 'processing', outputs: [output] })).toBe(true);
    });

    it('is not a processing job without outputs (an attempt runs)', () => {
      expect(isClaimed({ status: 'processing', outputs: [] })).toBe(false);
    });

    it('is not a job that succeeded with its outputs', () => {
      expect(isClaimed({ status: 'succeeded', outputs: [output] })).toBe(false);
    });
  });
});
