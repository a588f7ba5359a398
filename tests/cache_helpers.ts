/**
 * Time for the cache tests, on both lanes: the Effect lane runs every call
 * with a `TestClock` (Effect's Clock, as the cache reads it there), the
 * Promise lane with the `now` the cache is given. `advance` moves the lane's
 * clock; `date()` is that clock as an HTTP date, for the apps' `Date` headers.
 */
import { Clock, Effect, Exit, Scope } from "effect";
import { TestClock } from "effect/testing";
import type { Client } from "../client/client.ts";
import { cache, type CacheOptions, type CachePlugin } from "../plugins/cache.ts";
import { bothLanes, type Lane } from "./lanes.ts";

/** One lane with its own clock. */
export interface Timed {
  readonly lane: Lane;
  /** A cache on this lane's clock. */
  readonly cache: (options?: Omit<CacheOptions, "now">) => CachePlugin;
  /** A client call on this lane (`client.fetch`, or the Effect methods under the TestClock). */
  readonly call: (client: Client, url: string, init?: RequestInit) => Promise<Response>;
  /** Moves this lane's clock on. */
  readonly advance: (seconds: number) => Promise<void>;
  /** This lane's time, in milliseconds. */
  readonly now: () => number;
  /** This lane's time as an HTTP date (an app's `Date`), `offset` seconds from now. */
  readonly date: (offset?: number) => string;
}

/** The calls of one case, answered with their bodies read: `[status, body, cache-status]`. */
export const summary = async (response: Response): Promise<[number, string, string | null]> => [
  response.status,
  await response.text(),
  response.headers.get("cache-status"),
];

const START = Date.UTC(2026, 0, 1);

/** Registers the case on both lanes, each with a clock starting at 2026-01-01. */
export const timedLanes = (name: string, fn: (t: Timed) => Promise<void>): void =>
  bothLanes(name, async (lanes) => {
    if (lanes.lane === "promise") {
      let now = START;
      await fn({
        lane: "promise",
        cache: (options) => cache({ ...options, now: () => now }),
        call: (client, url, init) => client.fetch(url, init),
        advance: (seconds) => Promise.resolve(void (now += seconds * 1000)),
        now: () => now,
        date: (offset = 0) => new Date(now + offset * 1000).toUTCString(),
      });
      return;
    }
    const scope = Effect.runSync(Scope.make());
    const clock = Effect.runSync(Scope.provide(TestClock.make(), scope));
    await Effect.runPromise(clock.setTime(START));
    const under = <A, E>(effect: Effect.Effect<A, E>) =>
      Effect.runPromise(Effect.provideService(effect, Clock.Clock, clock as unknown as Clock.Clock));
    try {
      await fn({
        lane: "effect",
        cache: (options) => cache(options),
        call: (client, url, init) => under(client.request(init?.method ?? "GET", url, init)),
        advance: (seconds) => under(clock.adjust(seconds * 1000)),
        now: () => clock.currentTimeMillisUnsafe(),
        date: (offset = 0) => new Date(clock.currentTimeMillisUnsafe() + offset * 1000).toUTCString(),
      });
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void));
    }
  });
