/**
 * `circuitBreaker`: stops sending to a key (by default an origin) that keeps
 * failing, and lets one probe through after an open time. Both lanes drive
 * the same synchronous circuits (`circuit_state.ts`), so they share state;
 * on the Promise lane a closed circuit costs a key, a Map lookup and one
 * `then` with callbacks built once per key.
 *
 * @module
 */
import { Cause, Duration, Effect, Exit, Option, Schedule } from "effect";
import { CircuitOpen, isTransportError, type TransportError } from "../core/errors.ts";
import { custom, number, object, optional } from "../core/options.ts";
import type { Plugin } from "../core/plugin.ts";
import { Transport } from "../core/transport.ts";
import {
  Circuit,
  type CircuitPolicy,
  type CircuitState,
  type CircuitVerdict,
  type TripPolicy,
} from "./circuit_state.ts";
import { originOf, retryAfterMs } from "./http_facts.ts";

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

const FAILURE_STATUSES = new Set([408, 500, 502, 503, 504]);
/** Errors that say nothing about the upstream's health: the caller's own mistakes, and other plugins' refusals. */
const NOT_THE_UPSTREAM = new Set(["LocalProtocolError", "UnsupportedProtocol", "CircuitOpen", "RetryAfterTooLong"]);

const defaultVerdict = (outcome: Response | TransportError): CircuitVerdict => {
  if (outcome instanceof Response) {
    if (FAILURE_STATUSES.has(outcome.status)) return "failure";
    return outcome.status === 429 ? "ignored" : "success";
  }
  return NOT_THE_UPSTREAM.has(outcome._tag) ? "ignored" : "failure";
};

const DEFAULT_OPEN_FOR: Schedule.Schedule<unknown, unknown> = Schedule.exponential("1 second").pipe(
  Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, Duration.seconds(60)))),
);

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
  const keyOf = o.key ?? ((request: Request) => originOf(request.url));
  const classify = o.classify;
  const verdictOf = (outcome: Response | TransportError): CircuitVerdict =>
    (classify === undefined ? undefined : classify(outcome)) ?? defaultVerdict(outcome);
  const policy: CircuitPolicy = {
    trip: o.trip ?? { consecutive: 5 },
    openFor: typeof o.openFor === "number"
      ? Schedule.spaced(Duration.millis(o.openFor))
      : o.openFor ?? DEFAULT_OPEN_FOR,
    maxOpenMs: o.maxOpenMs ?? 300_000,
  };

  /** A circuit plus its Promise-lane callbacks, built once per key. */
  interface Slot {
    readonly circuit: Circuit;
    readonly onResponse: (response: Response) => Response;
    readonly onError: (error: unknown) => never;
  }
  const slots = new Map<string, Slot>();
  const hintOf = (outcome: Response | TransportError): number | undefined =>
    outcome instanceof Response ? retryAfterMs(outcome, Date.now()) : undefined;
  const slotFor = (key: string): Slot => {
    let slot = slots.get(key);
    if (slot !== undefined) return slot;
    const circuit = new Circuit(key, policy);
    slot = {
      circuit,
      onResponse: (response) => {
        const verdict = verdictOf(response);
        if (verdict !== "success" || circuit.consecutive !== 0 || "rate" in policy.trip) {
          circuit.record(verdict, Date.now(), hintOf(response));
        }
        return response;
      },
      onError: (error) => {
        if (isTransportError(error)) circuit.record(verdictOf(error), Date.now(), undefined);
        throw error;
      },
    };
    slots.set(key, slot);
    return slot;
  };
  const refuse = (request: Request, circuit: Circuit, now: number): CircuitOpen => {
    const retryAfter = circuit.retryAfter(now);
    return new CircuitOpen(request, {
      key: circuit.key,
      state: circuit.state === "open" ? "open" : "half-open",
      ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
      ...(circuit.reason === undefined ? {} : { reason: circuit.reason }),
    });
  };
  /** The outcome of an exit on the Effect lane: an interruption (or a defect) says nothing about the upstream. */
  const exitVerdict = (exit: Exit.Exit<Response, TransportError>): [CircuitVerdict, number | undefined] => {
    if (Exit.isSuccess(exit)) return [verdictOf(exit.value), hintOf(exit.value)];
    const failure = Cause.findErrorOption(exit.cause);
    return Option.isSome(failure) ? [verdictOf(failure.value), undefined] : ["ignored", undefined];
  };

  const plugin = ((next: Transport) =>
    Transport.wrap(next, {
      name: "circuitBreaker",
      handle: (request) =>
        Effect.clockWith((clock) => {
          const slot = slotFor(keyOf(request));
          const circuit = slot.circuit;
          const admitted = circuit.admit(clock.currentTimeMillisUnsafe());
          if (admitted === "reject") return Effect.fail(refuse(request, circuit, clock.currentTimeMillisUnsafe()));
          return Effect.onExit(next.handle(request), (exit) =>
            Effect.sync(() => {
              const [verdict, hint] = exitVerdict(exit);
              const now = clock.currentTimeMillisUnsafe();
              if (admitted === "probe") circuit.settleProbe(verdict, now, hint);
              else circuit.record(verdict, now, hint);
            }));
        }),
      fetch: (request, nextFetch) => {
        const slot = slotFor(keyOf(request));
        const circuit = slot.circuit;
        // A closed circuit that never tripped: no clock to read.
        if (circuit.state === "closed" && circuit.trips === 0) {
          return nextFetch(request).then(slot.onResponse, slot.onError);
        }
        const now = Date.now();
        const admitted = circuit.admit(now);
        if (admitted === "pass") {
          return nextFetch(request).then(slot.onResponse, slot.onError);
        }
        if (admitted === "reject") return Promise.reject(refuse(request, circuit, now));
        return nextFetch(request).then(
          (response) => {
            circuit.settleProbe(verdictOf(response), Date.now(), hintOf(response));
            return response;
          },
          (error) => {
            // An abort (not a TransportError) frees the probe's slot without a verdict.
            circuit.settleProbe(isTransportError(error) ? verdictOf(error) : "ignored", Date.now(), undefined);
            throw error;
          },
        );
      },
    })) as CircuitBreakerPlugin;
  Object.defineProperty(plugin, "name", { value: "circuitBreaker" });
  plugin.state = (key) => (slots.get(key)?.circuit ?? new Circuit(key, policy)).snapshot(Date.now());
  plugin.states = () => [...slots.values()].map((s) => s.circuit.snapshot(Date.now()));
  return plugin;
};
