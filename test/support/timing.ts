import { setTimeout as sleep } from 'node:timers/promises';

/** How long polls sleep between checks. */
const POLL_INTERVAL_MS = 25;

/**
 * The one polling loop of the tests: calls `check` until it returns a value other than
 * undefined, sleeping between calls; throws after `timeoutMs`, naming `what` (a function
 * may describe the last state seen).
 */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  what: string | (() => string) = 'a condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/** Runs `work` and measures how long it took. */
export async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}
