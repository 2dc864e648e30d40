import type { InputProblem } from './media-generator';

export interface MockInput {
  width: number;
  height: number;
  numOutputs: number;
  seed: number;
  /** The first N attempts fail with a transient error (to see retries work). */
  failFirstAttempts: number;
  /** Every attempt fails with a permanent error. */
  failPermanently: boolean;
}

interface IntegerRule {
  field: string;
  min: number;
  max: number;
  fallback: number;
}

const RULES = {
  width: { field: 'width', min: 16, max: 1024, fallback: 512 },
  height: { field: 'height', min: 16, max: 1024, fallback: 512 },
  numOutputs: { field: 'num_outputs', min: 1, max: 4, fallback: 1 },
  seed: { field: 'seed', min: 0, max: 2 ** 32 - 1, fallback: 0 },
  failFirstAttempts: { field: 'fail_first_attempts', min: 0, max: 100, fallback: 0 },
} satisfies Record<string, IntegerRule>;

/** Reads the mock generator's inputs; unknown inputs are ignored, as real models mostly do. */
export function parseMockInput(input: Record<string, unknown>): { value: MockInput; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  const integer = (rule: IntegerRule): number => {
    const raw = input[rule.field];
    if (raw === undefined) return rule.fallback;
    // Stryker disable next-line ConditionalExpression: Number.isInteger is false for every non-number too; the typeof narrows the type.
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < rule.min || raw > rule.max) {
      problems.push({
        field: `input.${rule.field}`,
        message: `input.${rule.field} must be an integer from ${rule.min} to ${rule.max}`,
      });
      return rule.fallback;
    }
    return raw;
  };
  const failPermanently = input.fail_permanently ?? false;
  if (typeof failPermanently !== 'boolean') {
    problems.push({ field: 'input.fail_permanently', message: 'input.fail_permanently must be a boolean' });
  }
  const value: MockInput = {
    width: integer(RULES.width),
    height: integer(RULES.height),
    numOutputs: integer(RULES.numOutputs),
    seed: integer(RULES.seed),
    failFirstAttempts: integer(RULES.failFirstAttempts),
    failPermanently: failPermanently === true,
  };
  return { value, problems };
}
