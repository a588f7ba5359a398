/**
 * `circuitBreaker`: stops sending to a key (by default an origin) that keeps
 * failing, and lets one probe through after an open time. Both lanes drive
 * the same synchronous circuits (`circuit_state.ts`), so they share state;
 * on the Promise lane a closed circuit costs a key, a Map lookup and one
 * `then` with callbacks built once per key.
 *
 * @module
 */
import { Schedule } from "effect";
import type { TransportError } from "../core/errors.ts";
import { custom, number, object, optional } from "../core/options.ts";
import type { Plugin } from "../core/plugin.ts";
import type { CircuitLanes } from "./circuit_breaker_lanes.ts";
import type { CircuitState, CircuitVerdict, TripPolicy } from "./circuit_state.ts";
import { lazyPlugin } from "./lazy.ts";

/**
 * Options of `circuitBreaker`.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect";
 * import type { CircuitBreakerOptions } from "@switchyard/switchyard";
 * const options: CircuitBreakerOptions = {
 *   key: (request) => new URL(request.url).host,
 *   trip: { rate: 0.5, window: 50, minimumCalls: 20 },
 *   openFor: Schedule.exponential("2 seconds"),
 *   maxOpenMs: 120_000,
 * };
 * ```
 */
export interface CircuitBreakerOptions {
  /** Which circuit a request belongs to (default its origin, `scheme://host:port`). */
  readonly key?: (request: Request) => string;
  /** When a circuit opens (default 5 consecutive failures). */
  readonly trip?: TripPolicy;
  /**
   * What an outcome counts as; return `undefined` to keep the default, which
   * is: 408, 500, 502, 503, 504 and transport errors fail (except the
   * caller's own: `LocalProtocolError`, `UnsupportedProtocol`, and refusals
   * by other plugins), 429 is ignored, anything else succeeds. An abort is
   * always ignored.
   */
  readonly classify?: (outcome: Response | TransportError) => CircuitVerdict | undefined;
  /**
   * How long a circuit stays open: milliseconds, or a `Schedule` stepped at
   * each opening (default exponential from 1 s, doubling, capped at 60 s;
   * its trips reset once a circuit stayed closed as long as it was last open).
   */
  readonly openFor?: number | Schedule.Schedule<unknown, unknown>;
  /** The longest `Retry-After` of a failure that keeps a circuit open (default 300 000 ms). */
  readonly maxOpenMs?: number;
}

/**
 * The plugin `circuitBreaker` returns, with its circuits readable.
 *
 * @example
 * ```ts
 * import { circuitBreaker, type CircuitBreakerPlugin } from "@switchyard/switchyard";
 * const breaker: CircuitBreakerPlugin = circuitBreaker();
 * breaker.state("http://api.test").state; // "closed"
 * ```
 */
export interface CircuitBreakerPlugin extends Plugin {
  /** The state of the circuit for `key` (a closed, empty one when the key was never seen). */
  state(key: string): CircuitState;
  /** Every circuit seen so far. */
  states(): ReadonlyArray<CircuitState>;
}

const checkTrip = custom(
  (u): u is TripPolicy => {
    if (typeof u !== "object" || u === null) return false;
    const t = u as Record<string, unknown>;
    const whole = (v: unknown) => v === undefined || (typeof v === "number" && Number.isInteger(v) && v >= 1);
    if ("consecutive" in t) return whole(t.consecutive) && t.consecutive !== undefined && Object.keys(t).length === 1;
    return typeof t.rate === "number" && t.rate > 0 && t.rate <= 1 && whole(t.window) && whole(t.minimumCalls) &&
      (t.windowMs === undefined || (typeof t.windowMs === "number" && t.windowMs > 0));
  },
  "{ consecutive: n } or { rate: 0-1, window?, windowMs?, minimumCalls? } with whole numbers of calls",
);
const checkOptions = object({
  key: optional(custom((u): u is (r: Request) => string => typeof u === "function", "a function (request) => string")),
  trip: optional(checkTrip),
  classify: optional(
    custom((u): u is CircuitBreakerOptions["classify"] => typeof u === "function", "a function (outcome) => verdict"),
  ),
  openFor: optional(
    custom(
      (u): u is number | Schedule.Schedule<unknown, unknown> =>
        (typeof u === "number" && u >= 0 && Number.isFinite(u)) || Schedule.isSchedule(u),
      "milliseconds, or a Schedule",
    ),
  ),
  maxOpenMs: optional(number("milliseconds, 0 or more", { min: 0 })),
});

/**
 * A plugin that opens a circuit per key (by default per origin) once it
 * trips (default: 5 consecutive failures; or a failure rate over a window
 * with a minimum number of calls). An open circuit fails at once with
 * `CircuitOpen`, which names the key and when it lets a probe through; after
 * the open time one probe passes (others are refused): its success closes the
 * circuit, its failure opens it again for the schedule's next, longer time. A
 * failure's `Retry-After` keeps it open at least that long (up to
 * `maxOpenMs`). Both lanes share the circuits; read them with `state(key)`.
 *
 * Place it inside `retry` (`plugins: [retry(), circuitBreaker()]`): it sees
 * every attempt, and `retry` waits out an open circuit's time when it is
 * short enough; in `balance`, wrap each upstream so that an open one is
 * failed over like a refused connect.
 *
 * @example A circuit that opens after two failures
 * ```ts
 * import { Client, circuitBreaker, CircuitOpen, HandlerTransport } from "@switchyard/switchyard";
 * const breaker = circuitBreaker({ trip: { consecutive: 2 }, openFor: 60_000 });
 * await using client = Client.make({ transport: HandlerTransport.make(() => new Response(null, { status: 503 })), plugins: [breaker] });
 * await client.fetch("http://app.test/");
 * await client.fetch("http://app.test/");
 * const refused = await client.fetch("http://app.test/").catch((e) => e);
 * console.assert(refused instanceof CircuitOpen && breaker.state("http://app.test").state === "open");
 * ```
 * @throws {InvalidOptions} naming a bad option.
 */
export const circuitBreaker = (options?: CircuitBreakerOptions): CircuitBreakerPlugin => {
  const o = checkOptions(options, "circuitBreaker");
  // The circuits and both lanes load with the first request (plugins/lazy.ts); until then every circuit is closed.
  let lanes: CircuitLanes | undefined;
  const plugin = lazyPlugin("circuitBreaker", () =>
    import("./circuit_breaker_lanes.ts").then((m) => {
      lanes = m.circuitLanes(o);
      return lanes.plugin;
    })) as unknown as CircuitBreakerPlugin;
  plugin.state = (key) => lanes?.state(key) ?? closed(key);
  plugin.states = () => lanes?.states() ?? [];
  return plugin;
};

/** A circuit never used: what `Circuit.snapshot` says of a fresh one (tests/lazy_test.ts holds them equal). */
const closed = (key: string): CircuitState => ({
  key,
  state: "closed",
  consecutiveFailures: 0,
  window: { calls: 0, failures: 0 },
  trips: 0,
});
