import type { JobView } from './job-presenter';
import { eventsSince, sentBefore, stateId } from './job-stream-events';

function view(overrides: Partial<JobView> = {}): JobView {
  return {
    id: 'job-1',
    status: 'processing',
    prompt: 'a fox',
    model: 'mock',
    input: {},
    attempts: 1,
    maxAttempts: 3,
    error: null,
    outputs: [],
    createdAt: '2026-11-30T10:00:00.000Z',
    startedAt: '2026-11-30T10:00:00.100Z',
    completedAt: null,
    updatedAt: '2026-11-30T10:00:01.000Z',
    outputsExpiredAt: null,
    progress: { percent: 10, message: 'step 2/20', updatedAt: '2026-11-30T10:00:01.000Z' },
    queuePosition: null,
    attemptHistory: [{ attempt: 1, startedAt: '2026-11-30T10:00:00.100Z', endedAt: null, error: null }],
    ...overrides,
  };
}

const later = (seconds: number) => `2026-11-30T10:00:0${seconds}.000Z`;

describe('job stream events', () => {
  it('name each state by its last write and queue position', () => {
    expect(stateId(view())).toBe(`${Date.parse(later(1))}-`);
    expect(stateId(view({ status: 'queued', queuePosition: 3 }))).toBe(`${Date.parse(later(1))}-3`);
  });

  it('start with the whole job', () => {
    const first = view();
    expect(eventsSince(null, first).events).toEqual([{ event: 'status', id: stateId(first), data: first }]);
  });

  it('send progress alone when only the progress changed', () => {
    const { sent } = eventsSince(null, view());
    const next = view({ updatedAt: later(2), progress: { percent: 20, message: 'step 4/20', updatedAt: later(2) } });
    expect(eventsSince(sent, next).events).toEqual([{ event: 'progress', id: stateId(next), data: next.progress }]);
  });

  it('send nothing when nothing a client sees changed', () => {
    const { sent } = eventsSince(null, view());
    expect(eventsSince(sent, view({ updatedAt: later(2) })).events).toEqual([]);
  });

  it.each<[string, Partial<JobView>]>([
    ['status', { status: 'queued', progress: null }],
    ['attempt', { attempts: 2 }],
    ['error', { error: { code: 'upstream_unavailable', message: 'down', retryable: true } }],
    ['queue position', { status: 'processing', queuePosition: 1 }],
    ['history', { attemptHistory: [] }],
  ])('send the whole job again when its %s changed', (_what, change) => {
    const { sent } = eventsSince(null, view());
    const next = view({ ...change, updatedAt: later(2) });
    expect(eventsSince(sent, next).events).toEqual([{ event: 'status', id: stateId(next), data: next }]);
  });

  it.each(['succeeded', 'failed', 'canceled'] as const)('end with the whole job once it %s', (status) => {
    const { sent } = eventsSince(null, view());
    const done = view({ status, progress: null, updatedAt: later(3) });
    expect(eventsSince(sent, done).events).toEqual([{ event: 'done', id: stateId(done), data: done }]);
    expect(eventsSince(null, done).events).toEqual([{ event: 'done', id: stateId(done), data: done }]);
  });

  describe('Last-Event-ID', () => {
    it('of the current state means the client has it: nothing is sent again', () => {
      const current = view();
      const sent = sentBefore(stateId(current), current);
      expect(sent).not.toBeNull();
      expect(eventsSince(sent, current).events).toEqual([]);
    });

    it('of an older state, or none, means the current state is sent again', () => {
      expect(sentBefore('123-', view())).toBeNull();
      expect(sentBefore(undefined, view())).toBeNull();
    });

    it('never holds back the terminal job', () => {
      const done = view({ status: 'succeeded' });
      expect(sentBefore(stateId(done), done)).toBeNull();
    });
  });
});
