/**
 * `limits.maxConnections`: at most N requests in flight through one
 * transport. A request takes a slot before it is sent and gives it back when
 * its response body ends, fails or is cancelled (or when it fails before a
 * response). The wait is time-boxed by `timeout.pool` (`PoolTimeout`: the
 * request never left, so retrying it is safe); the caller owns that timer.
 *
 * A plain counter and a FIFO of waiters, no Effect: a slot is released when a
 * body stream ends, outside any fiber, and taking a free slot must cost
 * nothing on the hot path.
 *
 * @module
 */

/**
 * Gives a slot back; safe to call more than once.
 *
 * @example
 * ```ts
 * import { type Release, InFlight } from "./in_flight.ts";
 * const release: Release | undefined = new InFlight(1).tryTake();
 * release?.();
 * ```
 */
export type Release = () => void;

/**
 * A counting semaphore for requests in flight.
 *
 * @example
 * ```ts
 * import { InFlight } from "./in_flight.ts";
 * const inFlight = new InFlight(1);
 * const release = inFlight.tryTake()!;
 * const leave = inFlight.wait((next) => next()); // queued until `release()`
 * release();
 * leave(); // no-op: the waiter already got its slot
 * ```
 */
export class InFlight {
  private free: number;
  private readonly waiters: Array<(release: Release) => void> = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  /** Slots in use. */
  get inUse(): number {
    return this.size - this.free;
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next(this.releaser());
      else this.free++;
    };
  }

  /** A slot if one is free now, else `undefined`. */
  tryTake(): Release | undefined {
    if (this.free === 0) return undefined;
    this.free--;
    return this.releaser();
  }

  /** Queues `granted` for the next free slot (FIFO); returns a function that leaves the queue. */
  wait(granted: (release: Release) => void): () => void {
    this.waiters.push(granted);
    return () => {
      const i = this.waiters.indexOf(granted);
      if (i >= 0) this.waiters.splice(i, 1);
    };
  }
}
