import type { GenerationProgress } from './media-generator';

/** Only the end of a long log is read: progress is in its last lines. */
const LOG_TAIL_CHARS = 8192;
/** The longest message passed on; longer lines are cut with an ellipsis. */
export const PROGRESS_MESSAGE_MAX = 160;

// tqdm: ` 45%|████▌     | 9/20 [00:04<00:05, 2.1it/s]` (the bar and the counts are optional).
const TQDM_PERCENT = /(\d{1,3}(?:\.\d+)?)%\|/;
// `step 9/20`, `Step 9 of 20`, `steps: 9/20`.
const STEP_COUNT = /\bsteps?\s*:?\s*(\d+)\s*(?:\/|of)\s*(\d+)/i;

// A credential's value, its name (plural or not) kept as written. After a plural name, a number
// is a count (`tokens: 12`), not a credential.
const CREDENTIAL =
  /\b((?:api[_-]?key|token|secret|password|signature|credential)(s?)|passwd|authorization)(\s*[:=]\s*)(?!bearer\b)(\S+)/gi;
const COUNT = /^\d[\d.,]*$/;

// What must not leave the worker: URLs (signed ones carry tokens), credentials and long opaque strings.
const REDACTIONS: [RegExp, (match: string, ...groups: string[]) => string][] = [
  [/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, () => '<url>'],
  [/\bbearer\s+\S+/gi, () => 'Bearer <redacted>'],
  [
    CREDENTIAL,
    (match, name, plural, separator, value) => (plural && COUNT.test(value) ? match : `${name}${separator}<redacted>`),
  ],
  [/\b(?:r8|sk|pk|ghp|xox[abp])[_-][A-Za-z0-9_-]{8,}/g, () => '<redacted>'],
  [/\bAKIA[0-9A-Z]{16}\b/g, () => '<redacted>'],
  [/[A-Za-z0-9+/_=-]{32,}/g, () => '<redacted>'],
];

/**
 * The one place where a prediction's logs become progress: the percent of the last line that
 * has one (a tqdm bar or `step n/m`), and the last non-empty line, cleaned of terminal escapes
 * and anything secret, as the message. Null when the logs hold nothing to show.
 */
export function progressFromLogs(logs: string | null | undefined): GenerationProgress | null {
  if (!logs) return null;
  // Stryker disable Regex: the empty lines that splitting at single line-break characters would leave are filtered out.
  const lines = logs
    .slice(-LOG_TAIL_CHARS)
    .split(/[\r\n]+/)
    .map(plainText)
    .filter((line) => line.length > 0);
  // Stryker restore Regex
  const last = lines.at(-1);
  if (last === undefined) return null;
  let percent: number | null = null;
  // Stryker disable next-line ArithmeticOperator: starting past the end reads undefined lines, which hold no percent.
  for (let index = lines.length - 1; index >= 0 && percent === null; index--) percent = percentOf(lines[index]);
  return { percent, message: safeMessage(last) };
}

function percentOf(line: string): number | null {
  const tqdm = TQDM_PERCENT.exec(line);
  if (tqdm) return clampPercent(Number(tqdm[1]));
  const step = STEP_COUNT.exec(line);
  if (step && Number(step[2]) > 0) return clampPercent((100 * Number(step[1])) / Number(step[2]));
  return null;
}

function clampPercent(value: number): number {
  return Math.min(100, Math.max(0, Math.round(value)));
}

/** Without ANSI escapes and control characters, trimmed. */
function plainText(line: string): string {
  return (
    line
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing terminal escapes is the point.
      .replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, '')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: and so is removing control characters.
      .replace(/[\u0000-\u001f\u007f]/g, '')
      .trim()
  );
}

function safeMessage(line: string): string {
  const redacted = REDACTIONS.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), line);
  return redacted.length <= PROGRESS_MESSAGE_MAX ? redacted : `${redacted.slice(0, PROGRESS_MESSAGE_MAX - 1)}…`;
}
