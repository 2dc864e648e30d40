import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OutputLimitExceededError } from './jobs.errors';
import { OutputBudget } from './output-budget';

async function pour(budget: OutputBudget, sizes: number[]): Promise<number> {
  let received = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      callback();
    },
  });
  await pipeline(Readable.from(sizes.map((size) => Buffer.alloc(size))), budget.meter(), sink);
  return received;
}

describe('OutputBudget (what a job may keep)', () => {
  it('allows up to maxCount outputs and refuses one more, as too_many_outputs', () => {
    const budget = new OutputBudget({ maxCount: 2, maxTotalBytes: 100 });

    expect(() => budget.checkCount(2)).not.toThrow();
    const refusal = (() => {
      try {
        budget.checkCount(3);
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(OutputLimitExceededError);
    expect(refusal).toMatchObject({
      code: 'too_many_outputs',
      message: 'The model returned 3 outputs; a job keeps at most 2',
    });
  });

  it('passes bytes through up to maxTotalBytes in total', async () => {
    expect(await pour(new OutputBudget({ maxCount: 4, maxTotalBytes: 10 }), [4, 6])).toBe(10);
  });

  it('fails the stream, as output_too_large, once the outputs together exceed maxTotalBytes', async () => {
    const budget = new OutputBudget({ maxCount: 4, maxTotalBytes: 10 });
    await pour(budget, [6]);

    await expect(pour(budget, [4, 1])).rejects.toMatchObject({
      code: 'output_too_large',
      message: "The job's outputs exceed 10 bytes in total",
    });
  });
});
