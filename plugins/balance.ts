/**
 * `balance`: a transport that spreads requests over several upstream
 * transports, ejects one that fails to connect (for a cool-down that grows
 * while it keeps failing, then probes it with the next request), and fails a
 * request that was provably never sent over to the next healthy upstream;
 * never one that may have been sent.
 *
 * One definition, two lanes: the first attempt goes out on the lane's own
 * `fetch` or `handle`; the failover loop is one Effect both lanes run (the
 * Promise lane only after a not-sent failure).
 *
 * @module
 */
import { Duration, Effect, Schedule } from "effect";
import { InvalidOptions } from "../core/errors.ts";
import { custom, number, object, optional } from "../core/options.ts";
import { redactUrl } from "../core/redact.ts";
import { isTransport, toTransport, type Transport } from "../core/transport.ts";
import type { BalanceLanes } from "./balance_lanes.ts";
import type { BalanceStrategy, UpstreamState } from "./balance_pool.ts";
import { lazyTransport, once } from "./lazy.ts";

/**
 * An upstream with a weight (for `"weighted"`) and a name (for `upstreams()`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { HttpTransport, type WeightedUpstream } from "@switchyard/switchyard";
 * const big: WeightedUpstream = { transport: HttpTransport.make(), origin: "http://10.0.0.7:8080", weight: 3, name: "big" };
 * await Effect.runPromise(big.transport.close());
 * ```
 */
export interface WeightedUpstream {
  /** The transport. */
  readonly transport: Transport;
  /**
   * Send to this origin (`http://10.0.0.7:8080`) instead of the request's:
   * how one transport (say one `HttpTransport`) serves several replicas.
   */
  readonly origin?: string;
  /** Its share of requests under `"weighted"` (default 1). */
  readonly weight?: number;
  /** Its name in `upstreams()`. */
  readonly name?: string;
}

/**
 * Options of `balance`.
 *
 * @example
 * ```ts
 * import type { BalanceOptions } from "@switchyard/switchyard";
 * const options: BalanceOptions = { strategy: "least-in-flight", eject: { after: 2, coolDown: 5_000 } };
 * ```
 */
export interface BalanceOptions {
  /** How the next upstream is picked (default `"weighted"` when a weight is given, else `"round-robin"`). */
  readonly strategy?: BalanceStrategy;
  /** When an upstream is ejected, and for how long. */
  readonly eject?: {
    /** Not-sent failures in a row before it is ejected (default 1). */
    readonly after?: number;
    /**
     * How long it stays out: milliseconds, or a `Schedule` stepped at each
     * ejection (default exponential from 1 s, doubling, capped at 30 s; reset
     * once it answers again).
     */
    readonly coolDown?: number | Schedule.Schedule<unknown, unknown>;
  };
  /** Send a not-sent request to the next healthy upstream (default `true`: each upstream at most once). */
  readonly failover?: boolean;
}

/**
 * The transport `balance` returns, with its upstreams readable.
 *
 * @example
 * ```ts
 * import { balance, type BalanceTransport, HandlerTransport } from "@switchyard/switchyard";
 * const lb: BalanceTransport = balance([HandlerTransport.make(() => new Response("a"))]);
 * lb.upstreams()[0]!.ejected; // false
 * ```
 */
export interface BalanceTransport extends Transport {
  /** Every upstream as it is now. */
  upstreams(): ReadonlyArray<UpstreamState>;
}

const DEFAULT_COOL_DOWN: Schedule.Schedule<unknown, unknown> = Schedule.exponential("1 second").pipe(
  Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, Duration.seconds(30)))),
);

const checkOptions = object({
  strategy: optional(
    custom(
      (u): u is BalanceStrategy => u === "round-robin" || u === "weighted" || u === "least-in-flight",
      '"round-robin", "weighted" or "least-in-flight"',
    ),
  ),
  eject: optional(object({
    after: optional(number("a whole number, 1 or more", { min: 1, integer: true })),
    coolDown: optional(
      custom(
        (u): u is number | Schedule.Schedule<unknown, unknown> =>
          (typeof u === "number" && u >= 0 && Number.isFinite(u)) || Schedule.isSchedule(u),
        "milliseconds, or a Schedule",
      ),
    ),
  })),
  failover: optional(custom((u): u is boolean => typeof u === "boolean", "true or false")),
});

/** An upstream as checked by `balance`. */
export interface Normalised {
  readonly transport: Transport;
  readonly weight: number;
  readonly name: string;
  readonly origin: string | undefined;
  readonly weighted: boolean;
}

const bad = (option: string, received: string, expected: string) => new InvalidOptions({ option, received, expected });

const checkOrigin = (origin: unknown, i: number): string | undefined => {
  if (origin === undefined) return undefined;
  const option = `balance(upstreams)[${i}].origin`;
  let url: URL;
  try {
    url = new URL(String(origin));
  } catch {
    throw bad(option, JSON.stringify(redactUrl(String(origin))), 'an origin such as "http://10.0.0.7:8080"');
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.pathname !== "/" || url.search || url.username) {
    throw bad(option, JSON.stringify(redactUrl(url)), "an http(s) origin: scheme, host and port only");
  }
  return url.origin;
};

const normalise = (list: unknown): ReadonlyArray<Normalised> => {
  if (!Array.isArray(list) || list.length === 0) {
    throw bad(
      "balance(upstreams)",
      Array.isArray(list) ? "an empty array" : typeof list,
      "a non-empty array of transports, or of { transport, origin?, weight?, name? }",
    );
  }
  return list.map((item: unknown, i): Normalised => {
    const name = `upstream ${i}`;
    if (isTransport(item)) return { transport: toTransport(item), weight: 1, name, origin: undefined, weighted: false };
    const u = item as WeightedUpstream | null;
    if (u === null || typeof u !== "object" || !isTransport(u.transport)) {
      throw bad(
        `balance(upstreams)[${i}]`,
        u === null ? "null" : typeof u,
        "a Transport, or { transport, origin?, weight?, name? }",
      );
    }
    const weight = u.weight ?? 1;
    if (typeof weight !== "number" || !Number.isFinite(weight) || weight <= 0) {
      throw bad(`balance(upstreams)[${i}].weight`, String(weight), "a positive number");
    }
    return {
      transport: toTransport(u.transport),
      weight,
      name: u.name ?? (u.origin === undefined ? name : String(u.origin)),
      origin: checkOrigin(u.origin, i),
      weighted: u.weight !== undefined,
    };
  });
};

/**
 * A transport that spreads requests over `upstreams`: round-robin by
 * default, by weight (`{ transport, weight }`, which undici's BalancedPool
 * lacks), or to the one with the fewest requests in flight. An upstream that
 * fails to connect is ejected for a cool-down that grows while it keeps
 * failing; the next request after it is a probe (if it cannot connect
 * either, that request fails over, so probing costs a caller one refused
 * connect, nothing more). A not-sent failure (`ConnectError`,
 * `ConnectTimeout`, `PoolTimeout`, `CircuitOpen`, and a `ProxyError`: the
 * proxy could not be reached or refused to forward) fails over to the next
 * healthy upstream, its body sent again only from its source; a maybe-sent
 * one (`ReadError`, ...) never does. With every upstream ejected the call
 * fails with `NoHealthyUpstream`. `close()` closes every upstream once.
 *
 * @example HTTPX's ProxyRoundRobin, the Switchyard way
 * ```ts ignore
 * import { balance, Client, HttpTransport } from "@switchyard/switchyard";
 * const proxies = ["http://proxy-a:3128", "http://proxy-b:3128"];
 * await using client = Client.make({ transport: balance(proxies.map((proxy) => HttpTransport.make({ proxy }))) });
 * ```
 * @example Weights, in process
 * ```ts
 * import { balance, Client, HandlerTransport } from "@switchyard/switchyard";
 * const lb = balance([
 *   { transport: HandlerTransport.make(() => new Response("a")), weight: 2 },
 *   { transport: HandlerTransport.make(() => new Response("b")) },
 * ]);
 * await using client = Client.make({ transport: lb });
 * const seen: string[] = [];
 * for (let i = 0; i < 3; i++) seen.push(await (await client.fetch("http://app.test/")).text());
 * console.assert(seen.sort().join() === "a,a,b");
 * ```
 * @throws {InvalidOptions} for an empty list or a bad option.
 */
export const balance = (
  upstreams: ReadonlyArray<Transport | WeightedUpstream>,
  options?: BalanceOptions,
): BalanceTransport => {
  const o = checkOptions(options, "balance");
  const list = normalise(upstreams);
  const strategy = o.strategy ?? (list.some((u) => u.weighted) ? "weighted" : "round-robin");
  const coolDown = o.eject?.coolDown;
  const schedule = typeof coolDown === "number"
    ? Schedule.spaced(Duration.millis(coolDown))
    : coolDown ?? DEFAULT_COOL_DOWN;
  const distinct = [...new Set(list.map((u) => u.transport))];
  const closeAll = () => Effect.forEach(distinct, (t) => t.close(), { discard: true, concurrency: "unbounded" });
  // The pool and both lanes load with the first request (plugins/lazy.ts); until then every upstream is fresh.
  let lanes: BalanceLanes | undefined;
  const ready = once(
    () =>
      import("./balance_lanes.ts").then((m) =>
        m.balanceLanes(list, strategy, schedule, o.eject?.after ?? 1, o.failover ?? true)
      ),
    (loaded) => (lanes = loaded),
  );
  const transport = lazyTransport("balance", () => ready().then((l) => l.transport), closeAll);
  return {
    ...transport,
    upstreams: () =>
      lanes?.upstreams() ??
        list.map((u) => ({ name: u.name, weight: u.weight, inFlight: 0, ejected: false, failures: 0, ejections: 0 })),
  };
};
