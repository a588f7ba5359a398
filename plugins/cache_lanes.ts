/**
 * The lanes of `cache()` (cache.ts), loaded with its first request: the
 * engine's steps sequenced with promises and with Effects.
 *
 * @module
 */
import { Clock, Effect } from "effect";
import { isTransportError, type TransportError } from "../core/errors.ts";
import type { Plugin } from "../core/plugin.ts";
import { type Transport, Transport as TransportStatics } from "../core/transport.ts";
import { CacheEngine, type Forward } from "./cache_engine.ts";

export { CacheEngine };

/**
 * The cache plugin over `engine`: both lanes, one engine.
 *
 * @example
 * ```ts
 * import { CacheEngine, cacheLanes } from "./cache_lanes.ts";
 * const engine = new CacheEngine({
 *   maxEntries: 10, maxBytes: 1 << 20, maxEntryBytes: 1 << 16, key: (r) => r.url, authorized: false, heuristic: 0.1, name: "c",
 * });
 * const plugin = cacheLanes(engine, Date.now, () => {});
 * ```
 */
export const cacheLanes = (
  engine: CacheEngine,
  now: () => number,
  track: (work: Promise<void>) => void,
): Plugin =>
(next: Transport): Transport => {
  const promiseLane = promiseDriver(engine, now, track);
  const effectLane = effectDriver(engine, next, track);
  return TransportStatics.wrap(next, {
    name: "cache",
    handle: effectLane,
    fetch: (request, nextFetch) => promiseLane(request, nextFetch),
  });
};

/** Reads a background answer's body to its end, so that it is stored. */
const drain = async (response: Response): Promise<void> => {
  if (response.body !== null) await response.arrayBuffer();
};

/** The Promise lane: the engine's steps sequenced with promises (a hit is one synchronous `begin`). */
const promiseDriver = (
  engine: CacheEngine,
  now: () => number,
  track: (work: Promise<void>) => void,
) =>
(request: Request, nextFetch: (request: Request) => Promise<Response>): Promise<Response> => {
  const forward = (step: Forward): Promise<Response> =>
    nextFetch(step.request).then(
      (response) => {
        const out = engine.received(step, response, now());
        return out instanceof Response ? out : forward(out);
      },
      (error) => {
        if (!isTransportError(error)) throw error;
        const out = engine.failed(step, error, now());
        if (out === undefined) throw error;
        return out;
      },
    );
  const run = (): Promise<Response> => {
    const step = engine.begin(request, now());
    if (step.kind === "forward") return forward(step);
    if (step.kind === "wait") return step.ready.then(run);
    const background = step.background;
    if (background !== undefined) {
      track(forward(background).then(drain, () => {}).finally(() => engine.settledBackground(background)));
    }
    return Promise.resolve(step.response);
  };
  try {
    return run();
  } catch (error) {
    return Promise.reject(error);
  }
};

/** The Effect lane: the same steps, times from `Clock`, a background revalidation in a detached fiber. */
const effectDriver = (engine: CacheEngine, next: Transport, track: (work: Promise<void>) => void) => {
  const forward = (step: Forward): Effect.Effect<Response, TransportError> =>
    Effect.matchEffect(next.handle(step.request), {
      onSuccess: (response) =>
        Effect.flatMap(Clock.currentTimeMillis, (at) => {
          const out = engine.received(step, response, at);
          return out instanceof Response ? Effect.succeed(out) : forward(out);
        }),
      onFailure: (error) =>
        Effect.flatMap(Clock.currentTimeMillis, (at) => {
          const out = engine.failed(step, error, at);
          return out === undefined ? Effect.fail(error) : Effect.succeed(out);
        }),
    });
  const handle = (request: Request): Effect.Effect<Response, TransportError> =>
    Effect.flatMap(Clock.currentTimeMillis, (at) => {
      const step = engine.begin(request, at);
      if (step.kind === "forward") return forward(step);
      if (step.kind === "wait") return Effect.andThen(Effect.promise(() => step.ready), handle(request));
      const background = step.background;
      if (background === undefined) return Effect.succeed(step.response);
      let finish!: () => void;
      track(new Promise<void>((resolve) => (finish = resolve)));
      const revalidate = forward(background).pipe(
        Effect.flatMap((response) => Effect.promise(() => drain(response))),
        Effect.ignore,
        Effect.ensuring(Effect.sync(() => (engine.settledBackground(background), finish()))),
      );
      return Effect.as(Effect.forkDetach(revalidate), step.response);
    });
  return handle;
};
