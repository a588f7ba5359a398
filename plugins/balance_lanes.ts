/**
 * The lanes of `balance()` (balance.ts), loaded with its first request: the
 * pool, the picker and failover.
 *
 * @module
 */
import { Cause, Effect, Exit, Option, type Schedule } from "effect";
import { isTransportError, NoHealthyUpstream, type TransportError } from "../core/errors.ts";
import { bodySource, rememberBody } from "../core/body_source.ts";
import { runLane, Transport } from "../core/transport.ts";
import type { Normalised } from "./balance.ts";
import { type BalanceStrategy, makePicker, neverLeft, soonest, Upstream, type UpstreamState } from "./balance_pool.ts";
import { authorityEnd } from "../core/url_scan.ts";
import { planReplay, type Replay } from "./replay.ts";
import { markResend, resendOf } from "./resend.ts";

/** `request` aimed at `origin` (its path, query, method, headers, body and signal kept). */
const retarget = (request: Request, origin: string): Request => {
  const source = bodySource(request);
  const copy = new Request(origin + request.url.slice(authorityEnd(request.url)), request);
  if (typeof source === "object") rememberBody(copy, source.body);
  const resend = resendOf(request);
  if (resend !== undefined) markResend(copy, resend.count, resend.reason);
  return copy;
};

/**
 * What the balancer's lanes give its front: the transport and its upstreams' states.
 *
 * @example
 * ```ts
 * import type { BalanceLanes } from "./balance_lanes.ts";
 * const ejected = (lanes: BalanceLanes) => lanes.upstreams().filter((u) => u.ejected).length;
 * ```
 */
export interface BalanceLanes {
  readonly transport: Transport;
  readonly upstreams: () => ReadonlyArray<UpstreamState>;
}

/**
 * The balancer over checked upstreams.
 *
 * @example
 * ```ts
 * import { Effect, Schedule } from "effect";
 * import { Transport } from "../core/transport.ts";
 * import { balanceLanes } from "./balance_lanes.ts";
 * const up = Transport.make({ handle: () => Effect.succeed(new Response("ok")) });
 * const list = [{ transport: up, weight: 1, name: "upstream 0", origin: undefined, weighted: false }];
 * const lanes = balanceLanes(list, "round-robin", Schedule.spaced("1 second"), 1, true);
 * ```
 */
export const balanceLanes = (
  list: ReadonlyArray<Normalised>,
  strategy: BalanceStrategy,
  schedule: Schedule.Schedule<unknown, unknown>,
  ejectAfter: number,
  failover: boolean,
): BalanceLanes => {
  const pool = list.map((u, i) => new Upstream(i, u.transport, u.weight, u.name, schedule, ejectAfter));
  const origins = list.map((u) => u.origin);
  /** The request as upstream `u` gets it. */
  const aim = (u: Upstream, request: Request): Request => {
    const origin = origins[u.index];
    return origin === undefined ? request : retarget(request, origin);
  };
  const pick = makePicker(pool, strategy);

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

  const transport = Transport.make({ kind: "balance", handle, fetch });
  return { transport, upstreams: () => pool.map((u) => u.snapshot()) };
};
