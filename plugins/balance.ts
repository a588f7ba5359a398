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
import { Cause, Duration, Effect, Exit, Option, Schedule } from "effect";
import { InvalidOptions, isTransportError, NoHealthyUpstream, type TransportError } from "../core/errors.ts";
import { bodySource, rememberBody } from "../core/body_source.ts";
import { custom, number, object, optional } from "../core/options.ts";
import { redactUrl } from "../core/redact.ts";
import { isTransport, runLane, toTransport, Transport } from "../core/transport.ts";
import { type BalanceStrategy, makePicker, neverLeft, soonest, Upstream, type UpstreamState } from "./balance_pool.ts";
import { originOf } from "./http_facts.ts";
import { planReplay, type Replay } from "./replay.ts";
import { markResend, resendOf } from "./resend.ts";

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

interface Normalised {
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

/** `request` aimed at `origin` (its path, query, method, headers, body and signal kept). */
const retarget = (request: Request, origin: string): Request => {
  const source = bodySource(request);
  const copy = new Request(origin + request.url.slice(originOf(request.url).length), request);
  if (typeof source === "object") rememberBody(copy, source.body);
  const resend = resendOf(request);
  if (resend !== undefined) markResend(copy, resend.count, resend.reason);
  return copy;
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
  const pool = list.map((u, i) => new Upstream(i, u.transport, u.weight, u.name, schedule, o.eject?.after ?? 1));
  const origins = list.map((u) => u.origin);
  /** The request as upstream `u` gets it. */
  const aim = (u: Upstream, request: Request): Request => {
    const origin = origins[u.index];
    return origin === undefined ? request : retarget(request, origin);
  };
  const pick = makePicker(pool, strategy);
  const failover = o.failover ?? true;

  const noneHealthy = (request: Request, now: number) =>
    new NoHealthyUpstream(request, { upstreams: pool.length, retryAfterMs: soonest(pool, now) });

  /** Settles an upstream's failed attempt; says whether the call may fail over. */
  const afterFailure = (u: Upstream, error: unknown, now: number): boolean => {
    if (!isTransportError(error)) {
      u.cancelled();
      return false;
    }
    u.failed(error, now);
    return failover && neverLeft(error);
  };

  /**
   * One attempt on `u` (Effect lane): its response, or its failure, failed
   * over by `onNotSent` when that is allowed.
   */
  const attemptOn = (
    u: Upstream,
    request: Request,
    onNotSent: (error: TransportError) => Effect.Effect<Response, TransportError>,
  ): Effect.Effect<Response, TransportError> => {
    u.inFlight++;
    return Effect.flatMap(Effect.exit(u.transport.handle(aim(u, request))), (exit) => {
      if (Exit.isSuccess(exit)) return Effect.succeed(u.onResponse(exit.value));
      u.inFlight--;
      const failure = Cause.findErrorOption(exit.cause);
      if (Option.isNone(failure)) {
        u.cancelled();
        return Effect.failCause(exit.cause);
      }
      const error = failure.value;
      return Effect.clockWith((clock) =>
        afterFailure(u, error, clock.currentTimeMillisUnsafe()) ? onNotSent(error) : Effect.fail(error)
      );
    });
  };

  /** Sends again to the next untried healthy upstream: the one definition of failover, for both lanes. */
  const failoverFrom = (
    request: Request,
    tried: Set<number>,
    error: TransportError,
    replay: Replay,
  ): Effect.Effect<Response, TransportError> =>
    Effect.clockWith((clock) => {
      const u = pick(() => clock.currentTimeMillisUnsafe(), tried);
      if (u === undefined || !replay.canReplay()) return Effect.fail(error);
      tried.add(u.index);
      const again = replay.next();
      markResend(again, (resendOf(request)?.count ?? 0) + tried.size - 1, `failover after ${error._tag}`);
      return attemptOn(u, again, (next) => failoverFrom(request, tried, next, replay));
    });

  const handle = (request: Request): Effect.Effect<Response, TransportError> =>
    Effect.clockWith((clock) => {
      const u = pick(() => clock.currentTimeMillisUnsafe(), undefined);
      if (u === undefined) return Effect.fail(noneHealthy(request, clock.currentTimeMillisUnsafe()));
      return attemptOn(u, request, (error) => failoverFrom(request, new Set([u.index]), error, planReplay(request)));
    });

  const fetch = (request: Request): Promise<Response> => {
    const u = pick(Date.now, undefined);
    if (u === undefined) return Promise.reject(noneHealthy(request, Date.now()));
    u.inFlight++;
    return u.transport.fetch(aim(u, request)).then(u.onResponse, (error) => {
      u.inFlight--;
      if (!afterFailure(u, error, Date.now())) throw error;
      return runLane(failoverFrom(request, new Set([u.index]), error, planReplay(request)), request.signal);
    });
  };

  const distinct = [...new Set(pool.map((u) => u.transport))];
  const transport = Transport.make({
    kind: "balance",
    handle,
    fetch,
    close: () => Effect.forEach(distinct, (t) => t.close(), { discard: true, concurrency: "unbounded" }),
  });
  return { ...transport, upstreams: () => pool.map((u) => u.snapshot()) };
};
