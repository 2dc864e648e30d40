import { OutputLimitExceededError } from './jobs.errors';
import { OutputBudget } from './output-budget';

/** Counts chunks of `sizes` bytes as a save would; the bytes counted before the budget refused one. */
function pour(budget: OutputBudget, sizes: number[]): number {
  let counted = 0;
  for (const size of sizes) {
    budget.count(size);
    counted += size;
  }
  return counted;
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

  it('counts bytes up to maxTotalBytes in total', () => {
    expect(pour(new OutputBudget({ maxCount: 4, maxTotalBytes: 10 }), [4, 6])).toBe(10);
  });

  it('refuses a chunk, as output_too_large, once the outputs together exceed maxTotalBytes', () => {
    const budget = new OutputBudget({ maxCount: 4, maxTotalBytes: 10 });
    pour(budget, [6]);

    expect(() => pour(budget, [4, 1])).toThrow(
      expect.objectContaining({ code: 'output_too_large', message: "The job's outputs exceed 10 bytes in total" }),
    );
  });

  it('counts for the save it is handed to as a meter, unbound', () => {
    const { count } = new OutputBudget({ maxCount: 4, maxTotalBytes: 1 });

    expect(() => count(2)).toThrow(OutputLimitExceededError);
  });
});
