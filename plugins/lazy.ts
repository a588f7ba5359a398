/**
 * A plugin whose implementation is loaded on its first request. `mod.ts`
 * exports every plugin, and importing one costs start-up time in every
 * process that imports the package, used or not (module count and size, on
 * both runtimes: docs/runtimes.md, "Start-up"). So a plugin's factory checks
 * its options at once (a bad option still throws `InvalidOptions` where it is
 * written) and its implementation arrives with `import()` when a request
 * first needs it: that request waits for the load (a few milliseconds, once
 * per process), every later one pays a property read.
 *
 * @module
 */
import { Effect } from "effect";
import type { Plugin } from "../core/plugin.ts";
import { toTransport, Transport } from "../core/transport.ts";

/**
 * The loaded plugin, shared by every transport `lazyPlugin`'s result wraps:
 * state a plugin keeps (a cache, circuits) lives in what `load` builds, once.
 *
 * @example
 * ```ts
 * import type { LazyPlugin } from "./lazy.ts";
 * const peek = (p: LazyPlugin) => p.loaded === undefined; // true until a request needed it
 * ```
 */
export interface LazyPlugin extends Plugin {
  /** The implementation, once loaded (state accessors read it; before, there is no state). */
  readonly loaded: Plugin | undefined;
}

/**
 * `name`'s plugin, built by `load` on its first request (on either lane);
 * `load` runs once, whatever the number of clients and requests (again only
 * after a load that failed, whose requests fail with its error). Until then
 * the wrapped transport closes `next`, as every plugin's does.
 *
 * @example
 * ```ts
 * import { Client, HandlerTransport, Plugin } from "@switchyard/switchyard";
 * import { lazyPlugin } from "./lazy.ts";
 * let loads = 0;
 * const tag = lazyPlugin("tag", async () => {
 *   loads++;
 *   return Plugin.steps({ name: "tag", onRequest: (request) => void request.headers.set("x-tag", "1") });
 * });
 * await using client = Client.make({
 *   transport: HandlerTransport.make((request) => new Response(request.headers.get("x-tag"))),
 *   plugins: [tag],
 * });
 * console.assert((await (await client.fetch("http://app.test/")).text()) === "1");
 * await client.fetch("http://app.test/");
 * console.assert(loads === 1 && tag.loaded !== undefined);
 * ```
 */
export const lazyPlugin = (name: string, load: () => Promise<Plugin>): LazyPlugin => {
  let loaded: Plugin | undefined;
  const ready = once(load, (plugin) => (loaded = plugin));
  const plugin = (next: Transport): Transport => {
    // Composed after the load (another client, an override): the plugin's own transport, no wrapper at all.
    if (loaded !== undefined) return toTransport(loaded(next));
    let inner: Transport | undefined;
    return lazyTransport(
      name,
      () => ready().then((p) => inner ??= toTransport(p(next))),
      () => (inner ?? next).close(),
    );
  };
  Object.defineProperty(plugin, "name", { value: name });
  return Object.defineProperty(plugin, "loaded", { get: () => loaded }) as LazyPlugin;
};

/**
 * A transport of kind `kind` that is `load()`'s once it resolved: until then
 * each request waits for it (`load` may be called once per waiting request:
 * give a shared promise), after it each lane is one call through to the
 * loaded transport's. `close` closes what there is, loaded or not, once.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { Transport } from "../core/transport.ts";
 * import { lazyTransport } from "./lazy.ts";
 * const real = Transport.make({ handle: () => Effect.succeed(new Response("ok")) });
 * const later = lazyTransport("later", () => Promise.resolve(real), () => real.close());
 * await (await later.fetch(new Request("http://x.test/"))).text(); // "ok"
 * ```
 */
export const lazyTransport = (
  kind: string,
  load: () => Promise<Transport>,
  close: () => Effect.Effect<void>,
): Transport => {
  const arrived = (t: Transport): Transport => {
    handle = t.handle;
    fetch = t.fetch;
    return t;
  };
  let handle: Transport["handle"] = (request) =>
    Effect.flatMap(Effect.promise(() => load().then(arrived)), (t) => t.handle(request));
  let fetch: Transport["fetch"] = (request) => load().then(arrived).then((t) => t.fetch(request));
  // Transport.make: its close is idempotent, as every transport's.
  return Transport.make({ kind, handle: (request) => handle(request), fetch: (request) => fetch(request), close });
};

/**
 * `load`, run once and shared: a failed load is not kept (the next call tries
 * again); `onLoad` sees the value first.
 *
 * @example
 * ```ts
 * import { once } from "./lazy.ts";
 * let runs = 0;
 * const get = once(async () => ++runs, () => {});
 * await Promise.all([get(), get()]); // runs === 1
 * ```
 */
export const once = <A>(load: () => Promise<A>, onLoad: (value: A) => void): () => Promise<A> => {
  let loading: Promise<A> | undefined;
  return () =>
    loading ??= load().then((value) => (onLoad(value), value), (error) => {
      loading = undefined;
      throw error;
    });
};
