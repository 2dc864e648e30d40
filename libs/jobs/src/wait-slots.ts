export interface WaitLimits {
  /** Concurrent waits one API key may hold. */
  perKey: number;
  /** Concurrent waits in all. */
  total: number;
}

/**
 * The one place where concurrent `Prefer: wait` requests are counted and capped (per process):
 * each wait holds an open connection, a timer and a signal subscription, so one key, or everyone
 * together, may hold only so many. Past a cap the caller answers at once instead of waiting.
 */
export class WaitSlots {
  private held = 0;
  private readonly heldByKey = new Map<string, number>();

  constructor(private readonly limits: WaitLimits) {}

  /** A slot for `owner` (call its release exactly once when the wait ends), or null past a cap. */
  tryTake(owner: string): (() => void) | null {
    const ownerHeld = this.heldByKey.get(owner) ?? 0;
    if (this.held >= this.limits.total || ownerHeld >= this.limits.perKey) return null;
    this.held += 1;
    this.heldByKey.set(owner, ownerHeld + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held -= 1;
      const left = (this.heldByKey.get(owner) ?? 1) - 1;
      // Stryker disable next-line ConditionalExpression: a key kept at 0 holds no slot either; deleting it only keeps the map from growing with every key ever seen
      if (left === 0) this.heldByKey.delete(owner);
      else this.heldByKey.set(owner, left);
    };
  }
}
