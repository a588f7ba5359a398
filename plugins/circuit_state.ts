/**
 * The circuit of one key, as a small synchronous state machine both lanes
 * of `circuitBreaker` drive (so they share one state without an Effect run):
 * closed, open, half-open with one probe. Modelled on Effect's
 * `effect/persistence` CircuitBreaker (consecutive or rate trip policy, an
 * open time that follows a `Schedule`, a `Retry-After` hint honoured up to a
 * maximum, the backoff reset once the circuit stayed closed as long as it was
 * last open), without its store: the state lives in the process.
 *
 * @module
 */
import { Duration, Effect, Schedule } from "effect";

/**
 * How a circuit trips: after `consecutive` failures in a row, or when the
 * failure rate over the last `window` calls (those within `windowMs`, when
 * given) reaches `rate`, once at least `minimumCalls` were seen.
 *
 * @example
 * ```ts
 * import type { TripPolicy } from "@switchyard/switchyard";
 * const byRate: TripPolicy = { rate: 0.5, window: 20, minimumCalls: 10, windowMs: 30_000 };
 * ```
 */
export type TripPolicy =
  | { readonly consecutive: number }
  | {
    readonly rate: number;
    readonly window?: number;
    readonly windowMs?: number;
    readonly minimumCalls?: number;
  };

/**
 * What one circuit looks like from outside (for health endpoints).
 *
 * @example
 * ```ts
 * import type { CircuitState } from "@switchyard/switchyard";
 * const healthy = (s: CircuitState) => s.state === "closed";
 * ```
 */
export interface CircuitState {
  /** The circuit's key. */
  readonly key: string;
  /** `"closed"` (calls pass), `"open"` (calls fail with `CircuitOpen`), `"half-open"` (one probe). */
  readonly state: "closed" | "open" | "half-open";
  /** Failures in a row, in the closed state. */
  readonly consecutiveFailures: number;
  /** Calls and failures in the rate window (0 with a consecutive policy). */
  readonly window: { readonly calls: number; readonly failures: number };
  /** How many times it opened since its backoff last reset. */
  readonly trips: number;
  /** When an open circuit lets a probe through (epoch ms); absent unless open. */
  readonly opensProbeAt?: number;
  /** Why it last opened. */
  readonly reason?: string;
}

/** The resolved policy shared by every circuit of one breaker. */
export interface CircuitPolicy {
  readonly trip: TripPolicy;
  readonly openFor: Schedule.Schedule<unknown, unknown>;
  readonly maxOpenMs: number;
}

/**
 * What an outcome counts as for a circuit: a success, a failure, or nothing
 * (ignored: neither closes nor trips it).
 *
 * @example
 * ```ts
 * import type { CircuitVerdict } from "@switchyard/switchyard";
 * const verdict: CircuitVerdict = "ignored";
 * ```
 */
export type CircuitVerdict = "success" | "failure" | "ignored";

/**
 * One key's circuit. Methods take `now` (ms) from the lane's clock.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect";
 * import { Circuit } from "./circuit_state.ts";
 * const c = new Circuit("k", { trip: { consecutive: 1 }, openFor: Schedule.spaced("1 second"), maxOpenMs: 60_000 });
 * c.record("failure", 0, undefined);
 * c.admit(10); // "reject": open for 1 s
 * ```
 */
export class Circuit {
  state: "closed" | "open" | "half-open" = "closed";
  consecutive = 0;
  probing = false;
  trips = 0;
  openedAt = 0;
  openUntil = 0;
  reason: string | undefined;
  /** The longest `Retry-After` among the failures since the circuit last opened. */
  private hintMs = 0;
  private closedAt = 0;
  private lastOpenMs = 0;
  private step: ((now: number, input: unknown) => Effect.Effect<[unknown, Duration.Duration], unknown>) | undefined;
  private lastStepMs = 0;
  // The rate window: a ring of outcomes (1 = failure) and their times.
  private readonly ring: Uint8Array | undefined;
  private readonly times: Float64Array | undefined;
  private at = 0;
  private count = 0;

  constructor(readonly key: string, private readonly policy: CircuitPolicy) {
    if ("rate" in policy.trip) {
      const size = policy.trip.window ?? 100;
      this.ring = new Uint8Array(size);
      this.times = new Float64Array(size);
    }
  }

  /**
   * Whether a call may pass now: `"pass"` (closed), `"probe"` (the one call of
   * a half-open circuit), or `"reject"`.
   */
  admit(now: number): "pass" | "probe" | "reject" {
    if (this.state === "closed") {
      // The backoff forgets its trips once the circuit stayed closed as long as it was last open.
      if (this.trips > 0 && now - this.closedAt >= this.lastOpenMs) this.resetBackoff();
      return "pass";
    }
    if (this.state === "open") {
      if (now < this.openUntil) return "reject";
      this.state = "half-open";
    }
    if (this.probing) return "reject";
    this.probing = true;
    return "probe";
  }

  /** Records the outcome of a call admitted as `"pass"` (ignored unless the circuit is still closed). */
  record(verdict: CircuitVerdict, now: number, hintMs: number | undefined): void {
    if (this.state !== "closed" || verdict === "ignored") return;
    const failed = verdict === "failure";
    if (failed && hintMs !== undefined && hintMs > this.hintMs) this.hintMs = hintMs;
    const trip = this.policy.trip;
    if ("consecutive" in trip) {
      this.consecutive = failed ? this.consecutive + 1 : 0;
      if (this.consecutive >= trip.consecutive) this.open(now, `${this.consecutive} consecutive failures`);
      return;
    }
    this.consecutive = failed ? this.consecutive + 1 : 0;
    const ring = this.ring!;
    ring[this.at] = failed ? 1 : 0;
    this.times![this.at] = now;
    this.at = (this.at + 1) % ring.length;
    if (this.count < ring.length) this.count++;
    if (!failed) return;
    const { calls, failures } = this.windowCounts(now);
    if (calls >= (trip.minimumCalls ?? ring.length) && failures / calls >= trip.rate) {
      this.open(now, `a failure rate of ${Math.round((failures / calls) * 100)}% over ${calls} calls`);
    }
  }

  /** Records the probe's outcome: closes, reopens, or frees the probe slot. */
  settleProbe(verdict: CircuitVerdict, now: number, hintMs: number | undefined): void {
    this.probing = false;
    if (this.state !== "half-open" || verdict === "ignored") return;
    if (verdict === "failure") {
      if (hintMs !== undefined) this.hintMs = hintMs;
      this.open(now, "a failed probe");
      return;
    }
    this.state = "closed";
    this.consecutive = 0;
    this.count = 0;
    this.at = 0;
    this.closedAt = now;
    this.lastOpenMs = now - this.openedAt;
  }

  /** Milliseconds until an open circuit lets a probe through (`undefined` when half-open). */
  retryAfter(now: number): number | undefined {
    return this.state === "open" ? Math.max(0, this.openUntil - now) : undefined;
  }

  /** A snapshot for readers. */
  snapshot(now: number): CircuitState {
    const { calls, failures } = this.ring === undefined ? { calls: 0, failures: 0 } : this.windowCounts(now);
    return {
      key: this.key,
      state: this.state === "open" && now >= this.openUntil ? "half-open" : this.state,
      consecutiveFailures: this.state === "closed" ? this.consecutive : 0,
      window: { calls, failures },
      trips: this.trips,
      ...(this.state === "open" ? { opensProbeAt: this.openUntil } : {}),
      ...(this.reason === undefined ? {} : { reason: this.reason }),
    };
  }

  private windowCounts(now: number): { calls: number; failures: number } {
    const trip = this.policy.trip as { readonly windowMs?: number };
    const since = trip.windowMs === undefined ? -Infinity : now - trip.windowMs;
    let calls = 0;
    let failures = 0;
    for (let i = 0; i < this.count; i++) {
      if (this.times![i]! < since) continue;
      calls++;
      failures += this.ring![i]!;
    }
    return { calls, failures };
  }

  private open(now: number, reason: string): void {
    this.step ??= Effect.runSync(Schedule.toStep(this.policy.openFor));
    // The schedule's next delay; when it has ended, its last one again.
    const stepped = Effect.runSync(
      Effect.match(this.step(now, reason), { onSuccess: ([, d]) => Duration.toMillis(d), onFailure: () => -1 }),
    );
    if (stepped >= 0) this.lastStepMs = stepped;
    const hint = Math.min(this.hintMs, this.policy.maxOpenMs);
    this.state = "open";
    this.trips++;
    this.openedAt = now;
    this.openUntil = now + Math.max(this.lastStepMs, hint);
    this.reason = reason;
    this.hintMs = 0;
    this.consecutive = 0;
    this.count = 0;
    this.at = 0;
  }

  private resetBackoff(): void {
    this.trips = 0;
    this.step = undefined;
  }
}
