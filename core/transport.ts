/**
 * The Transport contract: one request in, one response (or a typed error) out.
 *
 * A transport owns what it opens (a `Deno.HttpClient`, a socket, an app's
 * lifespan) and frees it in `close`, which is idempotent.
 *
 * @module
 */
import { Context, Effect, Layer, type Scope } from "effect";
import type { TransportError } from "./errors.ts";

/**
 * Hands one request to whatever sends it: the network, an in-process app, a
 * mock, or another transport (a plugin).
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { Transport } from "@switchyard/switchyard";
 * const echo: Transport = Transport.make({
 *   handle: (request) => Effect.succeed(new Response(request.url)),
 * });
 * ```
 */
export interface Transport {
  /** Sends `request`; the response streams, it is never buffered by Switchyard. */
  readonly handle: (request: Request) => Effect.Effect<Response, TransportError>;
  /** Frees everything the transport opened. Idempotent. */
  readonly close: () => Effect.Effect<void>;
  /**
   * Optional Promise lane with exactly `handle`'s semantics: the same
   * response, and the same typed errors as rejections. `client.fetch` uses it,
   * skipping the Effect runtime, when every layer between the client and the
   * transport has one and the client has no `timeout`. Cancellation on this
   * lane is the request's own `signal`. A plugin gets one by passing its
   * Promise half to `Transport.wrap(next, handle, fetch)`.
   */
  readonly fetch?: (request: Request) => Promise<Response>;
}

/**
 * What `Transport.make` takes: `close` and `fetch` are optional.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { Transport, type TransportSpec } from "@switchyard/switchyard";
 * const spec: TransportSpec = { handle: () => Effect.succeed(new Response("ok")) };
 * const transport = Transport.make(spec);
 * ```
 */
export interface TransportSpec {
  /** Sends one request. */
  readonly handle: (request: Request) => Effect.Effect<Response, TransportError>;
  /** Frees resources; called at most once. */
  readonly close?: () => Effect.Effect<void>;
  /** The Promise lane: same semantics as `handle` (see `Transport.fetch`). */
  readonly fetch?: (request: Request) => Promise<Response>;
}

/**
 * A plugin wraps a transport in another one. Plugins compose outer-first: the
 * first plugin in a list sees the request first and the response last.
 *
 * Give it both lanes (the third argument of `Transport.wrap`) and
 * `client.fetch` stays off the Effect runtime; with `handle` alone every
 * request through it takes the Effect lane.
 *
 * @example
 * ```ts
 * import { type Plugin, Transport } from "@switchyard/switchyard";
 * const addHeader: Plugin = (next) =>
 *   Transport.wrap(
 *     next,
 *     (request) => {
 *       request.headers.set("x-trace", "1");
 *       return next.handle(request);
 *     },
 *     // The Promise lane, used only when `next` has one too.
 *     (request) => {
 *       request.headers.set("x-trace", "1");
 *       return next.fetch!(request);
 *     },
 *   );
 * ```
 */
export type Plugin = (next: Transport) => Transport;

/**
 * The `Transport` service key plus its constructors.
 *
 * @example
 * ```ts
 * import { MockTransport, Transport } from "@switchyard/switchyard";
 * const layer = Transport.layer(MockTransport.make(() => new Response("ok")));
 * ```
 */
export interface TransportStatics extends Context.Service<Transport, Transport> {
  /**
   * Builds a transport from a `handle` function and an optional `close`;
   * `close` is made idempotent.
   */
  make(spec: TransportSpec): Transport;
  /**
   * A transport whose `close` is `next.close`: for plugins, which own nothing
   * but the transport they wrap. `fetch`, the plugin's Promise lane, is kept
   * only when `next` has one (it may then call `next.fetch!`); without it,
   * requests through the plugin run on the Effect lane.
   */
  wrap(next: Transport, handle: Transport["handle"], fetch?: (request: Request) => Promise<Response>): Transport;
  /**
   * Provides `Transport` from a transport, or from an effect that builds one;
   * the transport is closed when the layer's scope closes.
   */
  layer<E = never, R = never>(
    make: Transport | Effect.Effect<Transport, E, R>,
  ): Layer.Layer<Transport, E, Exclude<R, Scope.Scope>>;
  /** Applies `plugins` around `transport`, the first plugin outermost. */
  compose(transport: Transport, plugins: ReadonlyArray<Plugin>): Transport;
}

/**
 * Whether `u` has the shape of a Transport (`handle` and `close` functions):
 * how options that take a transport are checked.
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

const make = (spec: TransportSpec): Transport => {
  const close = spec.close;
  let closed: Effect.Effect<void> | undefined;
  return {
    handle: spec.handle,
    // Idempotent: the first call runs `close`, later calls are no-ops.
    close: close ? () => Effect.suspend(() => closed ?? (closed = Effect.void, close())) : () => Effect.void,
    ...(spec.fetch ? { fetch: spec.fetch } : {}),
  };
};

const acquire = <E, R>(
  build: Transport | Effect.Effect<Transport, E, R>,
): Effect.Effect<Transport, E, R | Scope.Scope> =>
  Effect.acquireRelease(
    Effect.isEffect(build) ? build : Effect.succeed(build),
    (transport) => transport.close(),
  );

const TransportKey: Context.Service<Transport, Transport> = Context.Service<Transport>("switchyard/Transport");

/**
 * The `Transport` service (for `yield* Transport` and Layers) and its
 * constructors.
 *
 * @example
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
 * await response.text(); // "hi"
 * ```
 */
export const Transport: TransportStatics = Object.assign(
  TransportKey,
  {
    make,
    wrap: (next: Transport, handle: Transport["handle"], fetch?: (request: Request) => Promise<Response>): Transport =>
      fetch !== undefined && next.fetch !== undefined
        ? { handle, close: next.close, fetch }
        : { handle, close: next.close },
    layer: <E = never, R = never>(
      build: Transport | Effect.Effect<Transport, E, R>,
    ): Layer.Layer<Transport, E, Exclude<R, Scope.Scope>> =>
      Layer.effect(TransportKey, acquire(build)) as unknown as Layer.Layer<Transport, E, Exclude<R, Scope.Scope>>,
    compose: (transport: Transport, plugins: ReadonlyArray<Plugin>): Transport =>
      plugins.reduceRight((next, plugin) => plugin(next), transport),
  },
);
