/**
 * The Transport contract: one request in, one response (or a typed error) out,
 * on two lanes with one meaning.
 *
 * - `handle(request)` is the Effect lane: an `Effect` that fails with a
 *   `TransportError` and is cancelled by interruption.
 * - `fetch(request)` is the Promise lane, what `client.fetch` uses so that a
 *   plain call never starts the Effect runtime (one `Effect.runPromise` costs
 *   1–1.5 µs on Deno). It resolves with the same response and rejects with
 *   the same error instances; an abort of `request.signal` rejects with the
 *   signal's `reason`, as `fetch` does.
 *
 * A transport that does not write its own Promise lane gets one derived from
 * `handle` in exactly one place (`Transport.make` / `Transport.wrap`, through
 * `runLane`). A transport owns what it opens (a `Deno.HttpClient`, a socket,
 * an app's lifespan) and frees it in `close`, which is idempotent.
 *
 * @module
 */
import { Context, Effect, Layer, type Scope } from "effect";
import { InvalidOptions, type TransportError } from "./errors.ts";
import { fail, func, optional, string } from "./options.ts";
import type { Plugin } from "./plugin.ts";
import { discardBody } from "./discard_body.ts";

/**
 * Hands one request to whatever sends it: the network, an in-process app, a
 * mock, or another transport (a plugin).
 *
 * @example A transport from an Effect function
 * ```ts
 * import { Effect } from "effect";
 * import { Transport } from "@switchyard/switchyard";
 * const echo: Transport = Transport.make({
 *   handle: (request) => Effect.succeed(new Response(request.url)),
 * });
 * const response = await echo.fetch(new Request("http://x.test/a"));
 * console.assert((await response.text()) === "http://x.test/a");
 * ```
 */
export interface Transport {
  /** The Effect lane: sends `request`; the response streams, it is never buffered by Switchyard. */
  readonly handle: (request: Request) => Effect.Effect<Response, TransportError>;
  /**
   * The Promise lane, with exactly `handle`'s meaning: the same response, the
   * same typed errors as rejections, and the signal's `reason` when
   * `request.signal` aborts (before anything is sent, when it is already
   * aborted).
   */
  readonly fetch: (request: Request) => Promise<Response>;
  /** Frees everything the transport opened. Idempotent. */
  readonly close: () => Effect.Effect<void>;
  /** What it is, for `explain` and traces: `"http"`, `"handler"`, `"mock"`, `"mounts"`, a plugin's name, ... */
  readonly kind?: string;
}

/**
 * What `Transport.make` takes: only `handle` is required.
 *
 * @example A spec with a close
 * ```ts
 * import { Effect } from "effect";
 * import { Transport, type TransportSpec } from "@switchyard/switchyard";
 * let closed = 0;
 * const spec: TransportSpec = {
 *   handle: () => Effect.succeed(new Response("ok")),
 *   close: () => Effect.sync(() => void closed++),
 * };
 * const transport = Transport.make(spec);
 * await Effect.runPromise(Effect.andThen(transport.close(), transport.close()));
 * console.assert(closed === 1); // close is idempotent
 * ```
 */
export interface TransportSpec {
  /** Sends one request (the Effect lane). */
  readonly handle: (request: Request) => Effect.Effect<Response, TransportError>;
  /** The Promise lane, if you write one; otherwise it is derived from `handle`. */
  readonly fetch?: (request: Request) => Promise<Response>;
  /** Frees resources; called at most once. */
  readonly close?: () => Effect.Effect<void>;
  /** See `Transport.kind`. */
  readonly kind?: string;
}

/**
 * What `Transport.wrap` takes: a plugin's Effect lane and, optionally, its
 * Promise lane, which gets the next transport's Promise lane as
 * `nextFetch`.
 *
 * @example A plugin that drives `next` itself
 * ```ts
 * import { Effect } from "effect";
 * import { type Plugin, Transport } from "@switchyard/switchyard";
 * // Sends every request twice and keeps the second answer (a toy, to show the shape).
 * const twice: Plugin = (next) =>
 *   Transport.wrap(next, {
 *     name: "twice",
 *     handle: (request) => Effect.andThen(next.handle(request.clone()), () => next.handle(request)),
 *     fetch: (request, nextFetch) => nextFetch(request.clone()).then(() => nextFetch(request)),
 *   });
 * ```
 */
export interface WrapSpec {
  /** The plugin's name, for `explain` and traces. */
  readonly name?: string;
  /** The Effect lane (it closes over `next`). */
  readonly handle: (request: Request) => Effect.Effect<Response, TransportError>;
  /** The Promise lane; derived from `handle` when absent. */
  readonly fetch?: (request: Request, nextFetch: (request: Request) => Promise<Response>) => Promise<Response>;
}

/**
 * The `Transport` service key plus its constructors.
 *
 * @example Providing a transport as a layer
 * ```ts
 * import { MockTransport, Transport } from "@switchyard/switchyard";
 * const layer = Transport.layer(MockTransport.make(() => new Response("ok")));
 * ```
 */
export interface TransportStatics extends Context.Service<Transport, Transport> {
  /**
   * Builds a transport from `handle` and, optionally, `fetch`, `close` and
   * `kind`. `close` is made idempotent; a missing `fetch` is derived from
   * `handle`.
   * @throws {InvalidOptions} when `spec` is not an object with a `handle` function (or a field has the wrong type).
   */
  make(spec: TransportSpec): Transport;
  /**
   * A plugin's transport over `next`: its `close` is `next.close` (a plugin
   * owns nothing but what it wraps); a missing `fetch` is derived from
   * `handle`.
   * @throws {InvalidOptions} when `next` is not a transport or `spec` has no `handle` function.
   */
  wrap(next: Transport, spec: WrapSpec): Transport;
  /**
   * Provides `Transport` from a transport, or from an effect that builds one;
   * the transport is closed when the layer's scope closes.
   * @throws {InvalidOptions} when given neither a transport nor an Effect.
   */
  layer<E = never, R = never>(
    make: Transport | Effect.Effect<Transport, E, R>,
  ): Layer.Layer<Transport, E, Exclude<R, Scope.Scope>>;
  /**
   * Applies `plugins` around `transport`, the first plugin outermost.
   * @throws {InvalidOptions} when `transport` is not one, `plugins` is not an array, or a plugin does not return a transport.
   */
  compose(transport: Transport, plugins: ReadonlyArray<Plugin>): Transport;
}

/**
 * Whether `u` has the shape of a Transport (`handle` and `close` functions):
 * how options that take a transport are checked. A transport without a
 * `fetch` (a hand-written object) is accepted and given one by `toTransport`.
 *
 * @example
 * ```ts
 * import { isTransport } from "./transport.ts";
 * isTransport({ handle: () => {}, close: () => {} }); // true
 * ```
 */
export const isTransport = (u: unknown): u is Transport =>
  typeof u === "object" && u !== null && typeof (u as Transport).handle === "function" &&
  typeof (u as Transport).close === "function";

/**
 * Runs one Effect-lane call as a Promise-lane call: an already-aborted signal
 * rejects before the effect starts (`Effect.runPromise` would start it first),
 * and an abort rejects with the signal's reason, as `fetch` does.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { runLane } from "./transport.ts";
 * const controller = new AbortController();
 * controller.abort(new Error("stop"));
 * await runLane(Effect.never, controller.signal).catch((e) => e.message); // "stop"
 * ```
 */
export const runLane = <A, E>(effect: Effect.Effect<A, E>, signal: AbortSignal | undefined | null): Promise<A> => {
  if (signal === undefined || signal === null) return Effect.runPromise(effect);
  if (signal.aborted) return Promise.reject(signal.reason);
  return Effect.runPromise(effect, { signal }).catch((error) => {
    throw signal.aborted ? signal.reason : error;
  });
};

/**
 * `pending`, settled by `signal` as `fetch` settles: an abort rejects at once
 * with the signal's reason (at once if it is already aborted), and a response
 * that arrives after it has its body cancelled. For Promise lanes whose work
 * does not end on the signal by itself (an app, node:http on Deno).
 *
 * @example
 * ```ts
 * import { settleOnAbort } from "./transport.ts";
 * const never = new Promise<Response>(() => {}); // an app that never answers
 * const controller = new AbortController();
 * const settled = settleOnAbort(controller.signal, never);
 * controller.abort();
 * console.assert((await settled.catch((e) => e.name)) === "AbortError");
 * ```
 */
export const settleOnAbort = (signal: AbortSignal, pending: Promise<Response>): Promise<Response> =>
  new Promise<Response>((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      reject(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    pending.then(
      (response) => {
        signal.removeEventListener("abort", onAbort);
        if (settled) return void discardBody(response);
        settled = true;
        resolve(response);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        if (settled) return;
        settled = true;
        reject(error);
      },
    );
  });

/** The one place a Promise lane is derived from an Effect lane. */
const derive = (handle: Transport["handle"]) => (request: Request): Promise<Response> =>
  runLane(handle(request), request.signal);

const handleFn = func<Transport["handle"]>("a function (request) => Effect<Response, TransportError>");
const optionalFn = optional(func<(...args: never[]) => unknown>("a function, or nothing"));
const optionalName = optional(string);

/** Checks a spec's shape at construction (extra fields are allowed: a full transport is a spec too). */
const checkSpec = (spec: unknown, what: string, name: "kind" | "name"): void => {
  if (typeof spec !== "object" || spec === null) {
    fail(what, spec, `an object { handle${name === "kind" ? ", fetch?, close?, kind?" : ", fetch?, name?"} }`);
  }
  const s = spec as Record<string, unknown>;
  handleFn(s.handle, `${what}.handle`);
  optionalFn(s.fetch, `${what}.fetch`);
  if (name === "kind") optionalFn(s.close, `${what}.close`);
  optionalName(s[name], `${what}.${name}`);
};

/** A transport argument (`next`, `compose`'s first): the shape `isTransport` accepts. */
const checkTransport = (u: unknown, what: string): void => {
  if (!isTransport(u)) fail(what, u, "a Transport: an object with handle(request) and close()");
};

/**
 * Runs a spec's `close`. A close must never die (it runs in finalizers and
 * `await using`), so one written in plain JavaScript that returns a Promise
 * is awaited, and one that returns nothing is done.
 */
const closing = (close: () => Effect.Effect<void>): Effect.Effect<void> => {
  const result: unknown = close();
  if (Effect.isEffect(result)) return result as Effect.Effect<void>;
  if (typeof (result as Promise<void> | undefined)?.then === "function") {
    return Effect.promise(() => result as Promise<void>);
  }
  return Effect.void;
};

const make = (spec: TransportSpec): Transport => {
  checkSpec(spec, "spec", "kind");
  const close = spec.close;
  let closed: Effect.Effect<void> | undefined;
  const transport: { -readonly [K in keyof Transport]: Transport[K] } = {
    handle: spec.handle,
    fetch: spec.fetch ?? derive(spec.handle),
    // Idempotent: the first call runs `close`, later calls are no-ops.
    close: close ? () => Effect.suspend(() => closed ?? (closed = Effect.void, closing(close))) : () => Effect.void,
  };
  if (spec.kind !== undefined) transport.kind = spec.kind;
  return transport;
};

/**
 * `u` as a full Transport: itself when it has a Promise lane, otherwise a
 * transport around it whose lane is derived (its `close` is the original's,
 * made idempotent).
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { toTransport } from "./transport.ts";
 * const t = toTransport({ handle: () => Effect.succeed(new Response("ok")), close: () => Effect.void });
 * typeof t.fetch; // "function"
 * ```
 */
export const toTransport = (u: Omit<Transport, "fetch"> & { readonly fetch?: Transport["fetch"] }): Transport =>
  typeof u.fetch === "function" ? u as Transport : make(u);

const wrap = (next: Transport, spec: WrapSpec): Transport => {
  checkTransport(next, "next");
  checkSpec(spec, "spec", "name");
  const own = spec.fetch;
  const nextFetch = next.fetch;
  const transport: { -readonly [K in keyof Transport]: Transport[K] } = {
    handle: spec.handle,
    fetch: own === undefined ? derive(spec.handle) : (request) => own(request, nextFetch),
    close: next.close,
  };
  if (spec.name !== undefined) transport.kind = spec.name;
  return transport;
};

const acquire = <E, R>(
  build: Transport | Effect.Effect<Transport, E, R>,
): Effect.Effect<Transport, E, R | Scope.Scope> =>
  Effect.acquireRelease(
    Effect.isEffect(build) ? build : Effect.succeed(build),
    (transport) => transport.close(),
  );

/**
 * `Transport.compose`, calling `seen(i, wrapped)` with each plugin's
 * transport (innermost first): how the client learns the plugins' names
 * without calling a plugin twice.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { composePlugins, Transport } from "./transport.ts";
 * const base = Transport.make({ handle: () => Effect.succeed(new Response("ok")) });
 * const named = (name: string) => (next: Transport) => Transport.wrap(next, { name, handle: next.handle });
 * const kinds: string[] = [];
 * composePlugins(base, [named("outer"), named("inner")], (_, t) => void kinds.push(t.kind!)); // kinds: inner, outer
 * ```
 */
export const composePlugins = (
  transport: Transport,
  plugins: ReadonlyArray<Plugin>,
  seen?: (index: number, wrapped: Transport) => void,
): Transport => {
  checkTransport(transport, "transport");
  if (!Array.isArray(plugins)) fail("plugins", plugins, "an array of plugins");
  return plugins.reduceRight((next, plugin, i) => {
    const wrapped: unknown = typeof plugin === "function" ? plugin(next) : undefined;
    if (!isTransport(wrapped)) {
      throw new InvalidOptions({
        option: `plugins[${i}]`,
        received: typeof plugin !== "function"
          ? `${plugin === null ? "null" : typeof plugin}, not a function`
          : `a plugin that returned ${wrapped === null ? "null" : typeof wrapped}`,
        expected: "a function (next) => Transport, e.g. Plugin.steps({...}) or (next) => Transport.wrap(next, {...})",
      });
    }
    const full = toTransport(wrapped);
    seen?.(i, full);
    return full;
  }, transport);
};

const TransportKey: Context.Service<Transport, Transport> = Context.Service<Transport>("switchyard/Transport");

/**
 * The `Transport` service (for `yield* Transport` and Layers) and its
 * constructors.
 *
 * @example The service in an Effect program
 * ```ts
 * import { Effect } from "effect";
 * import { MockTransport, Transport } from "@switchyard/switchyard";
 * const program = Effect.gen(function* () {
 *   const transport = yield* Transport;
 *   return yield* transport.handle(new Request("http://x.test/"));
 * });
 * const response = await Effect.runPromise(
 *   program.pipe(Effect.provide(Transport.layer(MockTransport.make(() => new Response("hi"))))),
 * );
 * console.assert((await response.text()) === "hi");
 * ```
 */
export const Transport: TransportStatics = Object.assign(
  TransportKey,
  {
    make,
    wrap,
    layer: <E = never, R = never>(
      build: Transport | Effect.Effect<Transport, E, R>,
    ): Layer.Layer<Transport, E, Exclude<R, Scope.Scope>> => {
      if (!Effect.isEffect(build)) checkTransport(build, "transport");
      return Layer.effect(TransportKey, acquire(build)) as unknown as Layer.Layer<
        Transport,
        E,
        Exclude<R, Scope.Scope>
      >;
    },
    compose: (transport: Transport, plugins: ReadonlyArray<Plugin>): Transport => composePlugins(transport, plugins),
  },
);

/**
 * The last Request a client built with nothing that could abort it (no
 * `signal` given). A transport handing that Request to `fetch` may pass
 * `signal: null`: `fetch(request, init)` copies the Request, and the copy
 * otherwise ties a new dependent AbortSignal to the old one (~3 µs on Deno,
 * its WeakRefs held until the event loop turns; ~0.5 µs on Bun), and even
 * reading `request.signal` allocates one on Bun. An identity, not a WeakSet
 * (~0.15 µs per add on Bun) and not a property on the Request (an own
 * property on Bun's native Request slows every copy of it by ~0.3 µs): the
 * client builds and sends in one tick, so the last one is the one that
 * matters; a request built later simply replaces it.
 */
let lastUnabortable: Request | undefined;

/**
 * Records that nothing can abort `request` (the client calls it when it builds
 * a request without a signal).
 *
 * @example
 * ```ts
 * import { markUnabortable } from "./transport.ts";
 * markUnabortable(new Request("http://x.test/"));
 * ```
 */
export const markUnabortable = (request: Request): void => {
  lastUnabortable = request;
};

/**
 * Whether `request` is the one last marked by `markUnabortable`, consuming
 * the mark (so the Request, and its body, are not kept alive). `false` means
 * "unknown": read `request.signal`.
 *
 * @example
 * ```ts
 * import { markUnabortable, takeUnabortableMark } from "./transport.ts";
 * const request = new Request("http://x.test/");
 * markUnabortable(request);
 * takeUnabortableMark(request); // true
 * takeUnabortableMark(request); // false: the mark was taken
 * ```
 */
export const takeUnabortableMark = (request: Request): boolean => {
  if (request !== lastUnabortable) return false;
  lastUnabortable = undefined;
  return true;
};

/**
 * The key under which the network transport keeps a response's body hooks.
 * Its presence also says the response came from the network and already has
 * its URL, so the client need not read `response.url` (on Deno a getter that
 * cost ~2.8 µs of CPU per request on loopback) to fill in a missing one.
 *
 * @example
 * ```ts
 * import { NETWORK_RESPONSE } from "./transport.ts";
 * NETWORK_RESPONSE in new Response("ok"); // false: not from the network transport
 * ```
 */
export const NETWORK_RESPONSE: unique symbol = Symbol("switchyard/http-body");

/**
 * The URL a response to `request` reports, as WHATWG fetch serialises it:
 * without the fragment. For responses built with `new Response`, which have none.
 *
 * @example
 * ```ts
 * import { responseUrlOf } from "./transport.ts";
 * responseUrlOf(new Request("http://x.test/a#top")); // "http://x.test/a"
 * ```
 */
export const responseUrlOf = (request: { readonly url: string }): string => {
  const hash = request.url.indexOf("#");
  return hash === -1 ? request.url : request.url.slice(0, hash);
};
