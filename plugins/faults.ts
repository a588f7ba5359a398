/**
 * `faults`: fault injection for resilience tests. Rules pick requests (by
 * method, mount key and probability) and make them slow, refused, answered
 * with a chosen status, or give them a body that resets, ends early or
 * stalls. Deterministic: the same seed and the same requests give the same
 * faults. Waiting uses Effect's `Clock`, so `TestClock` drives it.
 *
 * @module
 */
import { Effect } from "effect";
import { ConnectError, InvalidOptions, ReadError } from "../core/errors.ts";
import type { Plugin } from "../core/plugin.ts";
import { redactUrl } from "../core/redact.ts";
import { runLane, Transport } from "../core/transport.ts";
import { UrlPattern } from "../router/pattern.ts";
import { Router } from "../router/router.ts";
import { type BodyFault, faultyResponse } from "./faulty_body.ts";

/**
 * Which requests a rule applies to, and how often. Every field is optional.
 *
 * @example
 * ```ts
 * import type { FaultMatch } from "@switchyard/switchyard/testing";
 * const match: FaultMatch = { method: ["GET", "HEAD"], url: "all://*.internal", probability: 0.2, times: 5 };
 * ```
 */
export interface FaultMatch {
  /** Methods (case-insensitive); default any. */
  readonly method?: string | ReadonlyArray<string>;
  /** Mount keys (`"all://api.test"`, `"https://*.internal/v2"`, `"all://10.0.0.0/8"`); default any URL. */
  readonly url?: string | ReadonlyArray<string>;
  /** The chance it fires for a matching request, 0 to 1 (default 1), drawn from the seeded generator. */
  readonly probability?: number;
  /** Fires at most this many times (default: no limit): `times: 2` refuses the first two attempts. */
  readonly times?: number;
}

/**
 * One fault rule: a `FaultMatch` plus the fault.
 * - `latency`: waits `ms` (± `jitter`, drawn from the seed) before sending.
 * - `refuse`: fails with a `ConnectError` (never sent: a retry is safe for any method).
 * - `status`: answers with `status` (and `headers`, `body`) without sending.
 * - `reset`: sends, then the response body fails with a `ReadError` after `afterBytes`.
 * - `truncate`: sends, then the body ends cleanly after `afterBytes` (no `content-length`).
 * - `stall`: sends, then the body stops after `afterBytes` (default 0), for `ms` or until the reader gives up.
 *
 * Latency rules add up; of the other rules, the first that fires applies.
 *
 * @example
 * ```ts
 * import type { FaultRule } from "@switchyard/switchyard/testing";
 * const rules: ReadonlyArray<FaultRule> = [
 *   { fault: "latency", ms: 200, jitter: 50 },
 *   { fault: "refuse", url: "all://payments.test", probability: 0.1 },
 *   { fault: "status", status: 503, headers: { "retry-after": "1" }, times: 2 },
 *   { fault: "reset", afterBytes: 1024, method: "GET", probability: 0.05 },
 * ];
 * ```
 */
export type FaultRule =
  & FaultMatch
  & (
    | { readonly fault: "latency"; readonly ms: number; readonly jitter?: number }
    | { readonly fault: "refuse" }
    | { readonly fault: "status"; readonly status: number; readonly headers?: HeadersInit; readonly body?: string }
    | { readonly fault: "reset"; readonly afterBytes: number }
    | { readonly fault: "truncate"; readonly afterBytes: number }
    | { readonly fault: "stall"; readonly afterBytes?: number; readonly ms?: number }
  );

/**
 * One fault that fired, in `faults(...).history`.
 *
 * @example
 * ```ts
 * import type { FaultEvent } from "@switchyard/switchyard/testing";
 * const line = (e: FaultEvent) => `#${e.request} ${e.method} ${e.url}: ${e.fault}`;
 * ```
 */
export interface FaultEvent {
  /** Which request it was, counting from 0 every request the plugin saw. */
  readonly request: number;
  /** The method. */
  readonly method: string;
  /** The URL, redacted. */
  readonly url: string;
  /** The fault, in words (`"latency 212 ms"`, `"refuse"`, `"status 503"`, `"reset after 1024 bytes"`). */
  readonly fault: string;
  /** The rule's index in the list. */
  readonly rule: number;
}

/**
 * Options of `faults`.
 *
 * @example
 * ```ts
 * import type { FaultsOptions } from "@switchyard/switchyard/testing";
 * const options: FaultsOptions = { seed: 42 };
 * ```
 */
export interface FaultsOptions {
  /** The generator's seed (a 32-bit integer). Default: a random one, shown as `plugin.seed` to replay a run. */
  readonly seed?: number;
}

/**
 * The `faults` plugin, with its seed and what it did.
 *
 * @example
 * ```ts
 * import { faults, type FaultsPlugin } from "@switchyard/switchyard/testing";
 * const chaos: FaultsPlugin = faults([{ fault: "refuse", probability: 0.5 }], { seed: 7 });
 * console.assert(chaos.seed === 7 && chaos.history.length === 0);
 * ```
 */
export interface FaultsPlugin extends Plugin {
  /** The seed in use: pass it back as `seed` to get the same faults again. */
  readonly seed: number;
  /** Every fault fired so far, in order. */
  readonly history: ReadonlyArray<FaultEvent>;
}

/** mulberry32: a small, fast, seeded generator of numbers in [0, 1). */
const generator = (seed: number): () => number => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

interface Compiled {
  readonly index: number;
  readonly rule: FaultRule;
  readonly methods: ReadonlySet<string> | undefined;
  readonly urls: Router<true> | undefined;
  readonly probability: number;
  fired: number;
  readonly times: number;
}

/** What the rules decided for one request: the added latency and the fault that applies, if any. */
interface Decision {
  readonly latency: number;
  readonly outcome: Compiled | undefined;
}

const KINDS = ["latency", "refuse", "status", "reset", "truncate", "stall"];

const compile = (rule: FaultRule, index: number): Compiled => {
  const at = (field: string) => `rules[${index}]${field ? `.${field}` : ""}`;
  const fail = (field: string, received: unknown, expected: string): never => {
    throw new InvalidOptions({ option: at(field), received: JSON.stringify(received) ?? typeof received, expected });
  };
  if (typeof rule !== "object" || rule === null) fail("", rule, 'a rule such as { fault: "refuse" }');
  if (!KINDS.includes(rule.fault)) fail("fault", rule.fault, KINDS.map((k) => `"${k}"`).join(", "));
  const count = (field: string, value: unknown, optional: boolean) => {
    if (value === undefined && optional) return;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) fail(field, value, "a number, 0 or more");
  };
  if (rule.fault === "latency") {
    count("ms", rule.ms, false);
    count("jitter", rule.jitter, true);
  }
  if (rule.fault === "reset" || rule.fault === "truncate") count("afterBytes", rule.afterBytes, false);
  if (rule.fault === "stall") {
    count("afterBytes", rule.afterBytes, true);
    count("ms", rule.ms, true);
  }
  if (rule.fault === "status" && (!Number.isInteger(rule.status) || rule.status < 200 || rule.status > 599)) {
    fail("status", rule.status, "a status from 200 to 599");
  }
  const probability = rule.probability ?? 1;
  if (typeof probability !== "number" || !(probability >= 0 && probability <= 1)) {
    fail("probability", rule.probability, "a number from 0 to 1");
  }
  if (rule.times !== undefined && (!Number.isInteger(rule.times) || rule.times < 1)) {
    fail("times", rule.times, "a whole number, 1 or more");
  }
  const list = <T>(value: T | ReadonlyArray<T> | undefined): ReadonlyArray<T> | undefined =>
    value === undefined ? undefined : Array.isArray(value) ? value : [value as T];
  const methods = list(rule.method);
  if (methods?.some((m) => typeof m !== "string")) fail("method", rule.method, "a method or an array of methods");
  const keys = list(rule.url);
  keys?.forEach((key, i) => {
    const error = typeof key === "string" ? UrlPattern.validate(key) : undefined;
    if (typeof key !== "string" || error) {
      fail(
        Array.isArray(rule.url) ? `url[${i}]` : "url",
        key,
        error?.expected ?? 'a mount key such as "all://api.test"',
      );
    }
  });
  return {
    index,
    rule,
    methods: methods && new Set(methods.map((m) => m.toUpperCase())),
    urls: keys && Router.make(keys.map((k) => [k, true] as const)),
    probability,
    fired: 0,
    times: rule.times ?? Infinity,
  };
};

const describe = (rule: FaultRule, latency: number): string => {
  switch (rule.fault) {
    case "latency":
      return `latency ${Math.round(latency)} ms`;
    case "status":
      return `status ${rule.status}`;
    case "refuse":
      return "refuse";
    case "stall":
      return `stall after ${rule.afterBytes ?? 0} bytes${rule.ms === undefined ? "" : ` for ${rule.ms} ms`}`;
    default:
      return `${rule.fault} after ${rule.afterBytes} bytes`;
  }
};

/**
 * Injects faults into the requests that pass it, by `rules` (see
 * `FaultRule`), deterministically from `options.seed`: the same seed and the
 * same sequence of requests give the same faults (`plugin.history` lists
 * them). Waiting (latency, a timed stall) is on Effect's `Clock`: under
 * `TestClock` it takes no real time on the Effect lane. A request no rule
 * fires for passes straight on, with no Effect run on the Promise lane.
 *
 * @example The first two attempts refused, then through
 * ```ts
 * import { Client, ConnectError, MockTransport } from "@switchyard/switchyard";
 * import { faults } from "@switchyard/switchyard/testing";
 * const chaos = faults([{ fault: "refuse", times: 2 }], { seed: 1 });
 * await using client = Client.make({ transport: MockTransport.make(() => new Response("ok")), plugins: [chaos] });
 * console.assert((await client.fetch("http://api.test/").catch((e) => e)) instanceof ConnectError);
 * console.assert((await client.fetch("http://api.test/").catch((e) => e)) instanceof ConnectError);
 * console.assert((await (await client.fetch("http://api.test/")).text()) === "ok");
 * console.assert(chaos.history.map((e) => e.fault).join() === "refuse,refuse");
 * ```
 */
export const faults = (rules: ReadonlyArray<FaultRule>, options: FaultsOptions = {}): FaultsPlugin => {
  if (!Array.isArray(rules)) {
    throw new InvalidOptions({ option: "rules", received: typeof rules, expected: "an array of fault rules" });
  }
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  if (!Number.isInteger(seed)) {
    throw new InvalidOptions({ option: "seed", received: String(seed), expected: "a whole number" });
  }
  const compiled = rules.map(compile);
  const random = generator(seed);
  const history: Array<FaultEvent> = [];
  let seen = 0;

  /** The rules' decision for `request`, `undefined` when none fires (the common case: no allocation). */
  const decide = (request: Request): Decision | undefined => {
    const n = seen++;
    let latency = 0;
    let outcome: Compiled | undefined;
    let fired = false;
    for (const c of compiled) {
      if (c.fired >= c.times || (outcome !== undefined && c.rule.fault !== "latency")) continue;
      if (c.methods !== undefined && !c.methods.has(request.method.toUpperCase())) continue;
      if (c.urls !== undefined && c.urls.resolve(request) === undefined) continue;
      if (c.probability < 1 && random() >= c.probability) continue;
      c.fired++;
      fired = true;
      let added = 0;
      if (c.rule.fault === "latency") {
        const jitter = c.rule.jitter ?? 0;
        added = Math.max(0, c.rule.ms + (jitter > 0 ? (random() * 2 - 1) * jitter : 0));
        latency += added;
      } else outcome = c;
      history.push({
        request: n,
        method: request.method,
        url: redactUrl(request.url),
        fault: describe(c.rule, added),
        rule: c.index,
      });
    }
    return fired ? { latency, outcome } : undefined;
  };

  const plugin: Plugin = (next) => {
    const apply = (request: Request, decision: Decision) => {
      const outcome = decision.outcome?.rule;
      const act = Effect.suspend(() => {
        if (outcome === undefined) return next.handle(request);
        const detail = `injected by faults (rules[${decision.outcome!.index}])`;
        switch (outcome.fault) {
          case "refuse":
            return Effect.fail(new ConnectError(request, { detail: `connection refused, ${detail}` }));
          case "status":
            return Effect.sync(() =>
              new Response(outcome.body ?? null, { status: outcome.status, headers: outcome.headers })
            );
          case "latency":
            return next.handle(request);
          default:
            return Effect.flatMap(Effect.context(), (context) =>
              Effect.map(next.handle(request), (response) => {
                const fault: BodyFault = outcome.fault === "reset"
                  ? {
                    kind: "reset",
                    afterBytes: outcome.afterBytes,
                    error: () =>
                      new ReadError(request, {
                        detail: `connection reset after ${outcome.afterBytes} bytes, ${detail}`,
                      }),
                  }
                  : outcome.fault === "truncate"
                  ? { kind: "truncate", afterBytes: outcome.afterBytes }
                  : {
                    kind: "stall",
                    afterBytes: outcome.afterBytes ?? 0,
                    // The body is read outside the fiber: its wait runs on the fiber's services (its Clock).
                    ...(outcome.ms === undefined
                      ? {}
                      : { resume: (signal) => Effect.runPromiseWith(context)(Effect.sleep(outcome.ms!), { signal }) }),
                  };
                return faultyResponse(response, fault);
              }));
        }
      });
      return decision.latency > 0 ? Effect.andThen(Effect.sleep(decision.latency), act) : act;
    };
    return Transport.wrap(next, {
      name: "faults",
      handle: (request) =>
        Effect.suspend(() => {
          const decision = decide(request);
          return decision === undefined ? next.handle(request) : apply(request, decision);
        }),
      fetch: (request, nextFetch) => {
        const decision = decide(request);
        return decision === undefined ? nextFetch(request) : runLane(apply(request, decision), request.signal);
      },
    });
  };
  Object.defineProperty(plugin, "name", { value: "faults" });
  return Object.assign(plugin, { seed, history });
};
