import type { GenerationProgress } from '@app/generator';
import { ProgressThrottle } from './progress-throttle';

const at = (percent: number): GenerationProgress => ({ percent, message: `step ${percent}` });

describe('ProgressThrottle', () => {
  let clock: number;
  let written: GenerationProgress[];
  let throttle: ProgressThrottle;

  beforeEach(() => {
    jest.useFakeTimers();
    clock = 0;
    written = [];
    throttle = new ProgressThrottle(
      async (progress) => {
        written.push(progress);
      },
      1000,
      () => clock,
    );
  });
  afterEach(() => jest.useRealTimers());

  /** Moves both the throttle's clock and the timers forward. */
  async function advance(ms: number): Promise<void> {
    clock += ms;
    await jest.advanceTimersByTimeAsync(ms);
  }

  it('writes the first report at once', async () => {
    throttle.report(at(0));
    await advance(0);
    expect(written).toEqual([at(0)]);
  });

  it('writes at most once per interval, the latest report of each', async () => {
    throttle.report(at(0));
    throttle.report(at(10));
    throttle.report(at(20));
    await advance(999);
    expect(written).toEqual([at(0)]);
    await advance(1);
    expect(written).toEqual([at(0), at(20)]);
    throttle.report(at(30));
    await advance(500);
    throttle.report(at(40));
    await advance(499);
    expect(written).toEqual([at(0), at(20)]);
    await advance(1);
    expect(written).toEqual([at(0), at(20), at(40)]);
  });

  it('writes a report at once when the interval since the last write has passed', async () => {
    throttle.report(at(0));
    await advance(1500);
    throttle.report(at(50));
    await advance(0);
    expect(written).toEqual([at(0), at(50)]);
  });

  it('drops a report equal to the last one written', async () => {
    throttle.report(at(5));
    await advance(2000);
    throttle.report(at(5));
    await advance(2000);
    throttle.report({ percent: 5, message: 'other' });
    await advance(0);
    expect(written).toEqual([at(5), { percent: 5, message: 'other' }]);
  });

  it('writes nothing after stop, and stop waits for the write under way', async () => {
    let finishWrite!: () => void;
    const slow = new ProgressThrottle(
      (progress) =>
        new Promise<void>((resolve) => {
          finishWrite = () => {
            written.push(progress);
            resolve();
          };
        }),
      1000,
      () => clock,
    );
    slow.report(at(1));
    slow.report(at(2));
    let stopped = false;
    const stopping = slow.stop().then(() => {
      stopped = true;
    });
    await advance(0);
    expect(stopped).toBe(false);
    finishWrite();
    await stopping;
    await advance(5000);
    slow.report(at(3));
    await advance(5000);
    expect(written).toEqual([at(1)]);
  });

  it('runs writes one after another', async () => {
    const order: string[] = [];
    let release!: () => void;
    const sequential = new ProgressThrottle(
      async (progress) => {
        order.push(`start ${progress.percent}`);
        if (progress.percent === 1) await new Promise<void>((resolve) => (release = resolve));
        order.push(`end ${progress.percent}`);
      },
      1000,
      () => clock,
    );
    sequential.report(at(1));
    await advance(1000);
    sequential.report(at(2));
    await advance(0);
    expect(order).toEqual(['start 1']);
    release();
    await advance(0);
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });
});
