/**
 * The timers of one exchange on the full path, by what they bound: the wait
 * for a pool slot, the whole exchange, the response headers, and the silence
 * between body chunks. Each is armed at most once at a time; `clearAll` ends
 * them together when the exchange ends.
 *
 * @module
 */

type Timer = ReturnType<typeof setTimeout>;

/** What a deadline bounds. */
export type DeadlineKind = "pool" | "total" | "headers" | "read";

/** One exchange's timers. */
export class Deadlines {
  private pool: Timer | undefined;
  private total: Timer | undefined;
  private headers: Timer | undefined;
  private read: Timer | undefined;

  /** Arms `kind` to call `fire` after `ms` (replacing a timer of that kind). */
  set(kind: DeadlineKind, ms: number, fire: () => void): void {
    this.clear(kind);
    this[kind] = setTimeout(() => {
      this[kind] = undefined;
      fire();
    }, ms);
  }

  /** Whether `kind` is armed. */
  armed(kind: DeadlineKind): boolean {
    return this[kind] !== undefined;
  }

  /** Disarms `kind`. */
  clear(kind: DeadlineKind): void {
    const timer = this[kind];
    if (timer === undefined) return;
    clearTimeout(timer);
    this[kind] = undefined;
  }

  /** Disarms every timer. */
  clearAll(): void {
    this.clear("pool");
    this.clear("total");
    this.clear("headers");
    this.clear("read");
  }
}
