/**
 * The upstreams of one `balance` transport and how the next one is chosen:
 * round-robin, smooth weighted round-robin (nginx's algorithm: even spread,
 * deterministic), or least in flight; which are ejected (they failed to
 * connect) and until when; and which ejected one is being probed. Plain
 * synchronous state, driven by both lanes.
 *
 * @module
 */
import { Duration, Effect, Schedule } from "effect";
import { CircuitOpen, isNotSent, ProxyError, type TransportError } from "../core/errors.ts";
import type { Transport } from "../core/transport.ts";

/**
 * How `balance` picks an upstream.
 *
 * @example
 * ```ts
 * import type { BalanceStrategy } from "@switchyard/switchyard";
 * const strategy: BalanceStrategy = "least-in-flight";
 * ```
 */
export type BalanceStrategy = "round-robin" | "weighted" | "least-in-flight";

/**
 * One upstream as it is now (for health endpoints).
 *
 * @example
 * ```ts
 * import type { UpstreamState } from "@switchyard/switchyard";
 * const up = (s: UpstreamState) => !s.ejected;
 * ```
 */
export interface UpstreamState {
  /** Its name (given, or its position: `"upstream 0"`). */
  readonly name: string;
  /** Its weight (1 unless given). */
  readonly weight: number;
  /** Requests sent to it whose response headers have not arrived yet. */
  readonly inFlight: number;
  /** Whether it is ejected (it failed to connect and is cooling down, or being probed). */
  readonly ejected: boolean;
  /** When an ejected upstream may be probed again (epoch ms). */
  readonly probeAt?: number;
  /** Not-sent failures in a row. */
  readonly failures: number;
  /** How many times it was ejected since it last answered. */
  readonly ejections: number;
}

/**
 * Whether `error` proves the request never reached the origin through this
 * upstream: a not-sent failure (`isNotSent`), or a `ProxyError` (the proxy
 * could not be reached, or refused to forward), which is what makes a proxy
 * round-robin fail over from a dead proxy.
 *
 * @example
 * ```ts
 * import { ProxyError } from "../core/errors.ts";
 * import { neverLeft } from "./balance_pool.ts";
 * neverLeft(new ProxyError({ method: "POST", url: "http://x.test/" })); // true
 * ```
 */
export const neverLeft = (error: TransportError): boolean => isNotSent(error) || error instanceof ProxyError;

/** One upstream and its health. */
export class Upstream {
  inFlight = 0;
  failures = 0;
  ejected = false;
  probing = false;
  until = 0;
  ejections = 0;
  /** Smooth weighted round-robin's running weight. */
  current = 0;
  private step: ((now: number, input: unknown) => Effect.Effect<[unknown, Duration.Duration], unknown>) | undefined;
  private lastCoolDown = 0;
  /** Built once: the success path of the Promise lane allocates no callback. */
  readonly onResponse: (response: Response) => Response;

  constructor(
    readonly index: number,
    readonly transport: Transport,
    readonly weight: number,
    readonly name: string,
    private readonly coolDown: Schedule.Schedule<unknown, unknown>,
    private readonly after: number,
  ) {
    this.onResponse = (response) => {
      this.inFlight--;
      if (this.failures !== 0 || this.ejected) this.reachable();
      return response;
    };
  }

  /** It answered (a response, or a failure after connecting): healthy again, backoff forgotten. */
  reachable(): void {
    this.failures = 0;
    this.ejected = false;
    this.probing = false;
    this.ejections = 0;
    this.step = undefined;
  }

  /** Its attempt failed with `error` (not an abort): ejects it after a not-sent failure. */
  failed(error: TransportError, now: number): void {
    if (!neverLeft(error)) return this.reachable();
    this.probing = false;
    if (++this.failures < this.after && !this.ejected) return;
    this.step ??= Effect.runSync(Schedule.toStep(this.coolDown));
    const stepped = Effect.runSync(
      Effect.match(this.step(now, error), { onSuccess: ([, d]) => Duration.toMillis(d), onFailure: () => -1 }),
    );
    if (stepped >= 0) this.lastCoolDown = stepped;
    // An open circuit says how long it stays open: no point probing before that.
    const hint = error instanceof CircuitOpen ? error.retryAfterMs ?? 0 : 0;
    this.ejected = true;
    this.ejections++;
    this.until = now + Math.max(this.lastCoolDown, hint);
  }

  /** Its attempt was cancelled: a probe's slot is freed, nothing else changes. */
  cancelled(): void {
    this.probing = false;
  }

  /** Whether it may be sent to now (healthy, or ejected, due, and not already probed); reads the clock only when ejected. */
  available(now: () => number): boolean {
    return !this.ejected || (!this.probing && now() >= this.until);
  }

  snapshot(): UpstreamState {
    return {
      name: this.name,
      weight: this.weight,
      inFlight: this.inFlight,
      ejected: this.ejected,
      ...(this.ejected ? { probeAt: this.until } : {}),
      failures: this.failures,
      ejections: this.ejections,
    };
  }
}

/**
 * Picks the next upstream among those not `tried` yet in this call, or
 * `undefined` when none is available. An ejected one that is due is picked
 * as a probe (one at a time). `now` is read only when an upstream is
 * ejected, so a healthy pool reads no clock.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect";
 * import { Transport } from "../core/transport.ts";
 * import { makePicker, Upstream } from "./balance_pool.ts";
 * const t = Transport.make({ handle: () => { throw new Error("unused"); } });
 * const ups = [0, 1].map((i) => new Upstream(i, t, 1, `u${i}`, Schedule.spaced("1 second"), 1));
 * const pick = makePicker(ups, "round-robin");
 * pick(Date.now, undefined)?.name; // "u0", then "u1"
 * ```
 */
export const makePicker = (
  upstreams: ReadonlyArray<Upstream>,
  strategy: BalanceStrategy,
): (now: () => number, tried: ReadonlySet<number> | undefined) => Upstream | undefined => {
  let cursor = 0;
  const n = upstreams.length;
  const usable = (u: Upstream, now: () => number, tried: ReadonlySet<number> | undefined) =>
    (tried === undefined || !tried.has(u.index)) && u.available(now);
  const take = (u: Upstream | undefined): Upstream | undefined => {
    if (u !== undefined && u.ejected) u.probing = true;
    return u;
  };
  if (strategy === "round-robin") {
    return (now, tried) => {
      for (let k = 0; k < n; k++) {
        const u = upstreams[(cursor + k) % n]!;
        if (!usable(u, now, tried)) continue;
        cursor = (u.index + 1) % n;
        return take(u);
      }
      return undefined;
    };
  }
  if (strategy === "weighted") {
    return (now, tried) => {
      let best: Upstream | undefined;
      let total = 0;
      for (const u of upstreams) {
        if (!usable(u, now, tried)) continue;
        u.current += u.weight;
        total += u.weight;
        if (best === undefined || u.current > best.current) best = u;
      }
      if (best !== undefined) best.current -= total;
      return take(best);
    };
  }
  return (now, tried) => {
    let best: Upstream | undefined;
    for (let k = 0; k < n; k++) {
      const u = upstreams[(cursor + k) % n]!;
      if (usable(u, now, tried) && (best === undefined || u.inFlight < best.inFlight)) best = u;
    }
    if (best !== undefined) cursor = (best.index + 1) % n;
    return take(best);
  };
};

/** Milliseconds until the first ejected upstream may be probed. */
export const soonest = (upstreams: ReadonlyArray<Upstream>, now: number): number =>
  Math.max(0, Math.min(...upstreams.map((u) => u.until - now)));
