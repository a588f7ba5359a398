/**
 * `cache()`: an RFC 9111 private HTTP cache as a plugin, in memory and
 * bounded (entries and bytes, least recently used out first). Freshness from
 * `max-age`, `Expires`, `Age` and `Date` (heuristic for the statuses that
 * allow it); revalidation with `If-None-Match` / `If-Modified-Since` and a
 * `304` merge; `Vary`; the request and response directives `no-store`,
 * `no-cache`, `must-revalidate`, `max-stale`, `min-fresh`, `only-if-cached`,
 * `stale-while-revalidate`, `stale-if-error`; invalidation by unsafe methods;
 * and a `cache-status` (RFC 9211) on every answer it gives.
 *
 * Beyond undici's cache interceptor: a response to a request with
 * `Authorization` may be stored (`authorized: true`), in a partition per
 * credential (an HMAC with a per-cache random key, never the credential);
 * the key is the whole URL, query included, and may be chosen (`key`).
 *
 * Time comes from Effect's `Clock` on the Effect lane (`TestClock` moves it)
 * and from `now` on the Promise lane, and one engine (cache_engine.ts,
 * cache_policy.ts) decides for both. A hit on the Promise lane runs no
 * Effect and allocates only the answer.
 *
 * @module
 */
import { boolean, custom, number, object, optional, string } from "../core/options.ts";
import type { Plugin } from "../core/plugin.ts";
import type { CacheEngine, EngineConfig } from "./cache_engine.ts";
import { lazyPlugin } from "./lazy.ts";

/**
 * Options of `cache`.
 *
 * @example
 * ```ts
 * import type { CacheOptions } from "@switchyard/switchyard";
 * const options: CacheOptions = { maxEntries: 500, maxBytes: 32 * 1024 * 1024, authorized: true };
 * ```
 */
export interface CacheOptions {
  /** At most this many responses are stored (default 1024, as undici). */
  readonly maxEntries?: number;
  /** At most this many bytes (bodies, headers and keys; default 64 MiB). */
  readonly maxBytes?: number;
  /** A larger response is passed on and not stored (default 5 MiB, as undici; at most `maxBytes`). */
  readonly maxEntryBytes?: number;
  /**
   * The cache key of a request (default: its URL without the fragment,
   * query included). Credentials are keyed separately, never through this.
   */
  readonly key?: (request: Request) => string;
  /**
   * Store responses to requests that carry `Authorization`, each credential
   * in its own partition (default `false`: such requests pass by the cache).
   */
  readonly authorized?: boolean;
  /** The fraction of `Date` − `Last-Modified` a response is fresh for without explicit freshness (default 0.1). */
  readonly heuristic?: number;
  /** The Promise lane's clock, in milliseconds since the epoch (default `Date.now`); the Effect lane reads `Clock`. */
  readonly now?: () => number;
  /** The cache's name in `cache-status` (default `"switchyard"`). */
  readonly name?: string;
}

/**
 * The cache plugin, with its store's figures and two controls.
 *
 * @example
 * ```ts
 * import { cache, type CachePlugin } from "@switchyard/switchyard";
 * const shared: CachePlugin = cache();
 * console.assert(shared.entries === 0 && shared.bytes === 0);
 * ```
 */
export interface CachePlugin extends Plugin {
  /** How many responses are stored. */
  readonly entries: number;
  /** How many bytes are stored. */
  readonly bytes: number;
  /** Drops every stored response. */
  clear(): void;
  /** Resolves when every background revalidation started so far (`stale-while-revalidate`) has ended. */
  settled(): Promise<void>;
}

const TOKEN = /^[A-Za-z*][!#$%&'*+\-.^_`|~:/\w]*$/;

const checkOptions = object({
  maxEntries: optional(number("a whole number above 0", { above: 0, integer: true })),
  maxBytes: optional(number("a whole number of bytes above 0", { above: 0, integer: true })),
  maxEntryBytes: optional(number("a whole number of bytes above 0", { above: 0, integer: true })),
  key: optional(custom((u): u is (r: Request) => string => typeof u === "function", "a function (request) => string")),
  authorized: optional(boolean),
  heuristic: optional(number("a fraction from 0 to 1", { min: 0 })),
  now: optional(custom((u): u is () => number => typeof u === "function", "a function () => milliseconds")),
  name: optional(string),
});

/** The URL without its fragment: the default key (undici leaves the query out: nodejs/undici#4209). */
const urlKey = (request: Request): string => {
  const url = request.url;
  const hash = url.indexOf("#");
  return hash < 0 ? url : url.slice(0, hash);
};

/**
 * A private HTTP cache plugin (RFC 9111), bounded in memory. Put it first in
 * `plugins` to cache what the others produce, or after plugins that set
 * request headers it should see (a `Vary` on them needs them). Every answer
 * says what it did in `cache-status`: `hit; ttl=...`, `fwd=uri-miss;
 * stored`, `fwd=stale; fwd-status=304`, ...
 *
 * @example A second GET is answered from the cache
 * ```ts
 * import { cache, Client, HandlerTransport } from "@switchyard/switchyard";
 * let calls = 0;
 * const app = () => (calls++, new Response("report", { headers: { "cache-control": "max-age=60" } }));
 * await using client = Client.make({ transport: HandlerTransport.make(app), plugins: [cache()] });
 * await (await client.fetch("http://app.test/report")).text();
 * const again = await client.fetch("http://app.test/report");
 * console.assert((await again.text()) === "report" && calls === 1);
 * console.assert(again.headers.get("cache-status")!.startsWith("switchyard; hit"));
 * ```
 *
 * @example Time is Effect's Clock on the Effect face
 * ```ts
 * import { Effect } from "effect";
 * import { TestClock } from "effect/testing";
 * import { cache, Client, HandlerTransport } from "@switchyard/switchyard";
 * let calls = 0;
 * const app = () => (calls++, new Response("x", { headers: { "cache-control": "max-age=60" } }));
 * await using client = Client.make({ transport: HandlerTransport.make(app), plugins: [cache()] });
 * const get = Effect.flatMap(client.get("http://app.test/"), (r) => Effect.promise(() => r.text()));
 * await Effect.runPromise(
 *   Effect.gen(function* () {
 *     yield* get;
 *     yield* TestClock.adjust("61 seconds");
 *     yield* get; // stale after 60 s: fetched again
 *   }).pipe(Effect.provide(TestClock.layer())),
 * );
 * console.assert(calls === 2);
 * ```
 */
export const cache = (options: CacheOptions = {}): CachePlugin => {
  const o = checkOptions(options, "cache");
  const maxBytes = o.maxBytes ?? 64 * 1024 * 1024;
  const maxEntryBytes = Math.min(o.maxEntryBytes ?? 5 * 1024 * 1024, maxBytes);
  const name = o.name ?? "switchyard";
  const config: EngineConfig = {
    maxEntries: o.maxEntries ?? 1024,
    maxBytes,
    maxEntryBytes,
    key: o.key ?? urlKey,
    authorized: o.authorized ?? false,
    heuristic: Math.min(o.heuristic ?? 0.1, 1),
    name: TOKEN.test(name) ? name : JSON.stringify(name),
  };
  const now = o.now ?? Date.now;
  const pending = new Set<Promise<void>>();
  const track = (work: Promise<void>): void => {
    const done = work.then(() => void pending.delete(done), () => void pending.delete(done));
    pending.add(done);
  };
  // The engine and both lanes load with the first request (plugins/lazy.ts); until then nothing is stored.
  let engine: CacheEngine | undefined;
  const plugin = lazyPlugin("cache", () =>
    import("./cache_lanes.ts").then((lanes) => {
      engine = new lanes.CacheEngine(config);
      return lanes.cacheLanes(engine, now, track);
    }));
  return Object.defineProperties(plugin, {
    entries: { get: () => engine?.store.entries ?? 0, enumerable: true },
    bytes: { get: () => engine?.store.bytes ?? 0, enumerable: true },
    clear: { value: () => engine?.store.clear() },
    settled: {
      value: async (): Promise<void> => {
        while (pending.size > 0) await Promise.all([...pending]);
      },
    },
  }) as unknown as CachePlugin;
};
