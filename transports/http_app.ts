/**
 * An `effect/http` app (an `HttpRouter` app, or an `HttpApi` through
 * `HttpApiBuilder.layer`) as an in-process transport: effect/http's web
 * handler conversion (`HttpRouter.toWebHandler`) behind `HandlerTransport`,
 * so an Effect user tests their own API with no port, its layers built
 * with the transport and released when it closes. It loads `effect/http`, so
 * it is exported from `@switchyard/switchyard/http-client`, not from the main
 * entry point.
 *
 * @module
 */
import { Effect, type Layer } from "effect";
import { HttpRouter } from "effect/http";
import { Transport } from "../core/transport.ts";
import { HandlerTransport, type HandlerTransportOptions } from "./handler.ts";

/**
 * What an app layer may still require: the router and its request-level
 * services, as `HttpRouter.toWebHandler` takes it.
 *
 * @example
 * ```ts
 * import type { HttpAppRequirements } from "@switchyard/switchyard/http-client";
 * type R = HttpAppRequirements;
 * ```
 */
export type HttpAppRequirements =
  | HttpRouter.HttpRouter
  | HttpRouter.Request<"Requires", unknown>
  | HttpRouter.Request<"GlobalRequires", unknown>
  | HttpRouter.Request<"Error", unknown>
  | HttpRouter.Request<"GlobalError", unknown>;

/**
 * Options of `HttpAppTransport`: `HandlerTransport`'s (but its lifespan,
 * which is the app layer's), and whether effect/http logs each request.
 *
 * @example
 * ```ts
 * import type { HttpAppOptions } from "@switchyard/switchyard/http-client";
 * const options: HttpAppOptions = { disableLogger: false, rootPath: "/api" };
 * ```
 */
export interface HttpAppOptions extends Omit<HandlerTransportOptions, "lifespan"> {
  /** Leave out effect/http's per-request log line (default `true`: a test double, not a server). */
  readonly disableLogger?: boolean;
}

/**
 * Constructors of the effect/http app transport.
 *
 * @example
 * ```ts
 * import { HttpAppTransport, type HttpAppTransportStatics } from "@switchyard/switchyard/http-client";
 * const statics: HttpAppTransportStatics = HttpAppTransport;
 * ```
 */
export interface HttpAppTransportStatics {
  /** Builds the app (its layer, now) and a transport to it; `close()` releases the layer. */
  make<A, E, R extends HttpAppRequirements>(app: Layer.Layer<A, E, R>, options?: HttpAppOptions): Transport;
  /** Provides `Transport` to the app: built with the layer, released with the layer's scope. */
  layer<A, E, R extends HttpAppRequirements>(
    app: Layer.Layer<A, E, R>,
    options?: HttpAppOptions,
  ): Layer.Layer<Transport>;
}

const make = <A, E, R extends HttpAppRequirements>(
  app: Layer.Layer<A, E, R>,
  options: HttpAppOptions = {},
): Transport => {
  const { disableLogger = true, ...handlerOptions } = options;
  const web = HttpRouter.toWebHandler(app, { disableLogger });
  // The web handler takes an optional Context as its second argument; HandlerTransport passes serve info there.
  const handler = web.handler as (request: Request) => Promise<Response>;
  const inner = HandlerTransport.make((request) => handler(request), handlerOptions);
  return Transport.make({
    kind: "http-app",
    handle: inner.handle,
    fetch: inner.fetch,
    close: () => Effect.andThen(inner.close(), Effect.promise(() => web.dispose())),
  });
};

/**
 * An effect/http app as a transport, in-process.
 *
 * @example An HttpApi tested through Switchyard's HttpClient layer
 * ```ts
 * import { Effect, Layer, Schema } from "effect";
 * import { HttpServer } from "effect/http";
 * import { HttpApi, HttpApiBuilder, HttpApiClient, HttpApiEndpoint, HttpApiGroup } from "effect/http-api";
 * import { HttpAppTransport, SwitchyardHttpClient } from "@switchyard/switchyard/http-client";
 * const Api = HttpApi.make("api").add(
 *   HttpApiGroup.make("greet").add(HttpApiEndpoint.get("hello", "/hello", { success: Schema.String })),
 * );
 * const GreetLive = HttpApiBuilder.group(Api, "greet", (h) => h.handle("hello", () => Effect.succeed("hi")));
 * const ApiLive = HttpApiBuilder.layer(Api).pipe(Layer.provide(GreetLive), Layer.provide(HttpServer.layerServices));
 * const program = Effect.gen(function* () {
 *   const client = yield* HttpApiClient.make(Api, { baseUrl: "http://app.test" });
 *   return yield* client.greet.hello();
 * });
 * const text = await Effect.runPromise(
 *   Effect.scoped(program.pipe(Effect.provide(SwitchyardHttpClient.layer({ transport: HttpAppTransport.make(ApiLive) })))),
 * );
 * console.assert(text === "hi");
 * ```
 */
export const HttpAppTransport: HttpAppTransportStatics = {
  make,
  layer: <A, E, R extends HttpAppRequirements>(app: Layer.Layer<A, E, R>, options?: HttpAppOptions) =>
    Transport.layer(Effect.sync(() => make(app, options))),
};
