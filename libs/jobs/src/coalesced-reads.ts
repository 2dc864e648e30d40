import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Reads of one key asked for within `windowMs` share a single call, started once the window
 * closes, so it never predates any of its askers (no one gets a row read before they asked).
 * When many waits on a job end together, PostgreSQL sees one query per job, not one per waiter.
 */
export class CoalescedReads<T> {
  private readonly pending = new Map<string, Promise<T>>();

  constructor(
    private readonly read: (key: string) => Promise<T>,
    private readonly windowMs: number,
  ) {}

  get(key: string): Promise<T> {
    let shared = this.pending.get(key);
    if (!shared) {
      shared = sleep(this.windowMs).then(() => {
        this.pending.delete(key);
        return this.read(key);
      });
      this.pending.set(key, shared);
    }
    return shared;
  }
}
