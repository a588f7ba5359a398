/**
 * The lanes of `circuitBreaker()` (circuit_breaker.ts), loaded with its first
 * request: a circuit per key, and both lanes over them.
 *
 * @module
 */
import { Cause, Duration, Effect, Exit, Option, Schedule } from "effect";
import { CircuitOpen, isTransportError, type TransportError } from "../core/errors.ts";
import type { Plugin } from "../core/plugin.ts";
import { Transport } from "../core/transport.ts";
import type { CircuitBreakerOptions } from "./circuit_breaker.ts";
import { Circuit, type CircuitPolicy, type CircuitState, type CircuitVerdict } from "./circuit_state.ts";
import { originOf } from "../core/url_scan.ts";
import { retryAfterMs } from "./http_facts.ts";

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

/**
 * What the breaker's lanes give its front: the plugin and the circuits' states.
 *
 * @example
 * ```ts
 * import type { CircuitLanes } from "./circuit_breaker_lanes.ts";
 * const open = (lanes: CircuitLanes) => lanes.states().filter((s) => s.state === "open");
 * ```
 */
export interface CircuitLanes {
  readonly plugin: Plugin;
  readonly state: (key: string) => CircuitState;
  readonly states: () => ReadonlyArray<CircuitState>;
}

/**
 * The breaker for checked options `o`.
 *
 * @example
 * ```ts
 * import { circuitLanes } from "./circuit_breaker_lanes.ts";
 * const lanes = circuitLanes({ trip: { consecutive: 2 } });
 * lanes.state("http://app.test").state; // "closed"
 * ```
 */
export const circuitLanes = (o: CircuitBreakerOptions): CircuitLanes => {
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

  const plugin: Plugin = (next: Transport) =>
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
    });
  return {
    plugin,
    state: (key) => (slots.get(key)?.circuit ?? new Circuit(key, policy)).snapshot(Date.now()),
    states: () => [...slots.values()].map((s) => s.circuit.snapshot(Date.now())),
  };
};
