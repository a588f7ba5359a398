/**
 * The `Client`: turns calls into `Request`s, hands each to its transport
 * through the plugins (and, with mounts, the router), follows redirects, and
 * closes everything it owns. Two faces on one engine: Effect methods and a
 * drop-in `fetch`.
 *
 * @module
 */
import { Context, Effect, Layer } from "effect";
import { type ClientError, InvalidOptions, ReadTimeout } from "../core/errors.ts";
import { array, boolean, custom, number, object, optional, record } from "../core/options.ts";
import type { Plugin } from "../core/plugin.ts";
import { composePlugins, isTransport, runLane, Transport } from "../core/transport.ts";
import type { MountEntries, MountExplanation } from "../router/mounts.ts";
import { followRedirects, isRedirect, NO_REPLAY, planRedirectReplay, type ReplayPlan } from "./redirects.ts";
import { makeRequestBuilder, refusedBody, type RequestBuilder, type RequestInput } from "./request.ts";
import { toFetchRejection } from "./fetch_error.ts";
import { rememberRequest } from "./response.ts";
import { mountsPick, overridable, type Pick, pickedFirst, transportPick, withOverride } from "./overrides.ts";
import { buildRoute, type RoutedTransport } from "./route.ts";

/**
 * Options of `Client.make`.
 *
 * @example
 * ```ts
 * import type { ClientOptions } from "@switchyard/switchyard";
 * const options: ClientOptions = { baseUrl: "https://api.example.com/v1", timeout: 10_000, maxRedirects: 5 };
 * ```
 */
export interface ClientOptions {
  /** Prefix for relative URLs; its path is kept (`http://x/api` + `/users` = `http://x/api/users`). */
  readonly baseUrl?: string | URL;
  /** Headers sent with every request, under the request's own. */
  readonly headers?: HeadersInit;
  /**
   * Milliseconds to wait for a response's headers; then the call fails with
   * `ReadTimeout` (the safer class: it cannot tell whether the request left).
   * Transports have their own, finer timeouts (`HttpTransport`'s `timeout`).
   */
  readonly timeout?: number;
  /** The default transport. Defaults to `HttpTransport.make()`. */
  readonly transport?: Transport;
  /**
   * Transports by URL pattern (HTTPX mount keys: `"all://"`, `"https://"`,
   * `"all://*example.com"`, `"http://localhost:8080"`, ...); most specific wins,
   * `null` means the default transport.
   */
  readonly mounts?: Readonly<Record<string, Transport | null>>;
  /** Plugins around the routed transport, the first one outermost. */
  readonly plugins?: ReadonlyArray<Plugin>;
  /** Follow redirects (default `true`, as `fetch`); per call, `redirect: "manual"` turns it off. */
  readonly followRedirects?: boolean;
  /** At most this many redirects per call (default 20, as `fetch`); more is `TooManyRedirects`. */
  readonly maxRedirects?: number;
  /**
   * Route through the proxies named by `HTTP_PROXY`, `HTTPS_PROXY`,
   * `ALL_PROXY` and `NO_PROXY` (default `true`). Applies to network
   * transports only.
   */
  readonly trustEnv?: boolean;
}

/**
 * Per-call options of the Effect methods: `RequestInit` plus `json`.
 *
 * @example
 * ```ts
 * import { Client, MockTransport } from "@switchyard/switchyard";
 * const client = Client.make({ transport: MockTransport.make(() => new Response("ok")) });
 * const created = client.post("http://api.test/items", { json: { name: "Ada" }, headers: { "x-request-id": "1" } });
 * ```
 */
export interface RequestOptions extends RequestInit {
  /** A value sent as a JSON body, with `content-type: application/json` unless set. */
  readonly json?: unknown;
}

/**
 * Why a URL goes where it goes through a client: the mount decision, plus the
 * plugins the request passes on its way, outermost first.
 *
 * @example
 * ```ts
 * import { Client, logging, MockTransport } from "@switchyard/switchyard";
 * const client = Client.make({ transport: MockTransport.make(() => new Response("ok")), plugins: [logging()] });
 * const why = client.explain("http://api.test/");
 * console.assert(why.plugins.join() === "logging" && why.transportKind === "mock");
 * ```
 */
export interface ClientExplanation extends MountExplanation {
  /** The plugins the request passes, outermost first, by name (`"(anonymous)"` for an unnamed one). */
  readonly plugins: ReadonlyArray<string>;
  /** The kind of the transport that sends it (`"http"`, `"handler"`, `"mock"`, ...; `"custom"` when unnamed). */
  readonly transportKind: string;
}

/**
 * An HTTP client with two faces: Effect methods (`get`, `post`, `send`, ...)
 * that fail with typed errors, and `fetch`, a drop-in `fetch` that rejects
 * with the same error instances.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { Client, HandlerTransport } from "@switchyard/switchyard";
 * await using client = Client.make({
 *   baseUrl: "http://app.test",
 *   transport: HandlerTransport.make(() => Response.json({ id: 1 })),
 * });
 * const viaPromise = await client.fetch("/users/1");
 * await viaPromise.json(); // { id: 1 }
 * const viaEffect = await Effect.runPromise(client.get("/users/1"));
 * await viaEffect.json(); // { id: 1 }
 * ```
 */
export interface Client {
  /** `fetch`'s exact signature; rejects with the tagged errors. Safe to detach (`const f = client.fetch`). */
  readonly fetch: (input: RequestInput, init?: RequestInit) => Promise<Response>;
  /** Sends a prepared `Request` (resolved against nothing: it must be absolute). */
  readonly send: (request: Request) => Effect.Effect<Response, ClientError>;
  /** Sends `method` to `url` (relative to `baseUrl`). */
  readonly request: (method: string, url: string | URL, init?: RequestOptions) => Effect.Effect<Response, ClientError>;
  /** GET. */
  readonly get: (url: string | URL, init?: RequestOptions) => Effect.Effect<Response, ClientError>;
  /** POST. */
  readonly post: (url: string | URL, init?: RequestOptions) => Effect.Effect<Response, ClientError>;
  /** PUT. */
  readonly put: (url: string | URL, init?: RequestOptions) => Effect.Effect<Response, ClientError>;
  /** PATCH. */
  readonly patch: (url: string | URL, init?: RequestOptions) => Effect.Effect<Response, ClientError>;
  /** DELETE. */
  readonly delete: (url: string | URL, init?: RequestOptions) => Effect.Effect<Response, ClientError>;
  /** HEAD. */
  readonly head: (url: string | URL, init?: RequestOptions) => Effect.Effect<Response, ClientError>;
  /** OPTIONS. */
  readonly options: (url: string | URL, init?: RequestOptions) => Effect.Effect<Response, ClientError>;
  /** The composed pipeline (plugins, then the router, then the transports). */
  readonly transport: Transport;
  /**
   * Why a URL goes to the transport it goes to: the plugins it passes, the
   * winning mount key, every matching key in priority order, the transport
   * that sends it, and the reason in one sentence.
   */
  readonly explain: (url: string | URL) => ClientExplanation;
  /**
   * A client that sends the requests these mount keys match to their
   * transports first (`null`, or no match: this client's own routing), with
   * this client's options and plugins. It owns nothing: closing it closes
   * nothing (close this client, and the transports you mounted).
   * @throws {InvalidOptions} naming a bad key or value.
   */
  readonly withMounts: (entries: MountEntries<Transport | null>) => Client;
  /** A client that sends every request to `transport`, with this client's options and plugins; it owns nothing. */
  readonly withTransport: (transport: Transport) => Client;
  /** Closes every transport the client owns. Idempotent. */
  readonly close: () => Effect.Effect<void>;
  /** `await using client = Client.make(...)` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void>;
}

const transport = custom(
  isTransport,
  "a Transport: an object with handle(request) and close() (e.g. HttpTransport.make())",
);

const checkOptions = object({
  baseUrl: optional(
    custom((u): u is string | URL => typeof u === "string" || u instanceof URL, "a URL string or URL object"),
  ),
  headers: optional(
    custom(
      (u): u is HeadersInit => typeof u === "object" && u !== null,
      "a HeadersInit (object, array of pairs or Headers)",
    ),
  ),
  timeout: optional(number("a positive number of milliseconds", { above: 0 })),
  transport: optional(transport),
  mounts: optional(
    record(
      custom(
        (u): u is Transport | null => u === null || isTransport(u),
        "a Transport, or null for the default transport",
      ),
      "an object of mount key to Transport or null",
    ),
  ),
  plugins: optional(
    array(custom((u): u is Plugin => typeof u === "function", "a function (next) => Transport"), "an array of plugins"),
  ),
  followRedirects: optional(boolean),
  maxRedirects: optional(number("a whole number, 0 or more", { min: 0, integer: true })),
  trustEnv: optional(boolean),
});

const METHOD_INITS: Record<string, RequestInit> = {};
const methodInit = (method: string): RequestInit => (METHOD_INITS[method] ??= Object.freeze({ method }));

const withJson = (method: string, init: RequestOptions): RequestInit => {
  const { json, ...rest } = init;
  if (json === undefined) return { ...rest, method };
  const headers = new Headers(rest.headers);
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return { ...rest, method, headers, body: JSON.stringify(json) };
};

/** Rejects as fetch does: a network failure with its fetch face (client/fetch_error.ts). */
const reject = (error: unknown): never => {
  throw toFetchRejection(error);
};

const pluginName = (plugin: Plugin, wrapped: Transport): string => plugin.name || wrapped.kind || "(anonymous)";

type CheckedOptions = ReturnType<typeof checkOptions>;

const make = (options: ClientOptions = {}): Client => {
  const opts = checkOptions(options, "");
  // Everything that can refuse an option runs before a transport is built (so a refusal leaks nothing).
  const build = makeRequestBuilder(opts);
  const route = buildRoute(opts);
  try {
    // Under the plugins, the point where `Client.withMounts` / `Client.withTransport` take effect (Effect lane).
    return assemble(opts, build, { ...route, transport: overridable(route.transport) });
  } catch (error) {
    // A plugin refused at composition: the default transport built for this client is freed (HttpTransport's
    // close is synchronous); transports the caller passed stay theirs.
    if (route.created) Effect.runSync(route.created.close());
    throw error;
  }
};

/** A client over `route`: the request builder, the plugins and the redirect loop around it. */
const assemble = (opts: CheckedOptions, build: RequestBuilder, route: RoutedTransport): Client => {
  const { transport, owned, explain: explainRoute } = route;
  const plugins = opts.plugins ?? [];
  const names: Array<string> = [];
  const pipeline = composePlugins(
    transport,
    plugins,
    (i, wrapped) => void (names[i] = pluginName(plugins[i]!, wrapped)),
  );
  const follow = opts.followRedirects ?? true;
  const maxRedirects = opts.maxRedirects ?? 20;
  const timeout = opts.timeout;

  // One hop: the pipeline, bounded by the client's timeout if any.
  const hop: (request: Request) => Effect.Effect<Response, ClientError> = timeout === undefined
    ? pipeline.handle
    : (request) =>
      pipeline.handle(request).pipe(Effect.timeoutOrElse({
        duration: timeout,
        orElse: () => Effect.fail(new ReadTimeout(request, { detail: `no response within ${timeout} ms` })),
      }));

  // The replay plan is made before the request is sent (a copy of a Request input's body is taken then).
  const plan = (built: Request, init: RequestInit | undefined, input: unknown): ReplayPlan =>
    follow ? planRedirectReplay(built, init, input) : NO_REPLAY;

  const sendWith = (request: Request, replay: ReplayPlan): Effect.Effect<Response, ClientError> =>
    Effect.flatMap(hop(request), (response) => {
      rememberRequest(response, request);
      return follow && isRedirect(response)
        ? followRedirects(hop, request, response, maxRedirects, replay)
        : Effect.succeed(response);
    });

  const request = (method: string, url: string | URL, init?: RequestOptions): Effect.Effect<Response, ClientError> =>
    Effect.suspend(() => {
      const requestInit = init === undefined ? methodInit(method) : withJson(method, init);
      let built: Request;
      try {
        built = build(url, requestInit);
      } catch (error) {
        return Effect.fail(error as ClientError);
      }
      // The Effect face: a caller's signal that already fired ends the call before anything is sent.
      if (requestInit.signal?.aborted) return Effect.interrupt;
      return sendWith(built, plan(built, requestInit, url));
    });

  // Idempotent, whatever the transports' own `close` does: each owned transport is closed once.
  let closing: Effect.Effect<void> | undefined;
  const close = (): Effect.Effect<void> =>
    Effect.suspend(() =>
      closing ??
        (closing = Effect.void, Effect.forEach(owned, (t) => t.close(), { discard: true, concurrency: "unbounded" }))
    );
  let disposed: Promise<void> | undefined;

  // The Promise lane: no Effect run at all unless a redirect is followed. The client's timeout needs the
  // Effect lane (a fiber to time out).
  const afterLane = (request: Request, replay: ReplayPlan) => (response: Response) => {
    rememberRequest(response, request);
    return follow && isRedirect(response)
      ? runLane(followRedirects(hop, request, response, maxRedirects, replay), request.signal).catch(reject)
      : response;
  };

  const client: Client = {
    fetch: (input, init) => {
      // The caller's signal, from `init` or from a Request input: fetch rejects at once when it is aborted.
      const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
      if (signal?.aborted) return Promise.reject(signal.reason);
      let built: Request;
      try {
        built = build(input, init);
      } catch (error) {
        return Promise.reject(error);
      }
      const replay = plan(built, init, input);
      if (timeout !== undefined) return runLane(sendWith(built, replay), signal).catch(reject);
      // One `then` with both handlers: the success path pays no extra promise hop for the error mapping.
      return pipeline.fetch(built).then(afterLane(built, replay), reject);
    },
    send: (req) =>
      Effect.suspend(() => {
        if (req.signal.aborted) return Effect.interrupt;
        const refused = refusedBody(req);
        return refused === undefined ? sendWith(req, plan(req, undefined, req)) : Effect.fail(refused);
      }),
    request,
    get: (url, init) => request("GET", url, init),
    post: (url, init) => request("POST", url, init),
    put: (url, init) => request("PUT", url, init),
    patch: (url, init) => request("PATCH", url, init),
    delete: (url, init) => request("DELETE", url, init),
    head: (url, init) => request("HEAD", url, init),
    options: (url, init) => request("OPTIONS", url, init),
    transport: pipeline,
    explain: (url) => {
      const route = explainRoute(url);
      const through = names.length === 0 ? "" : ` It passes ${names.join(", ")} first.`;
      return {
        ...route,
        plugins: names,
        transportKind: route.transport.kind ?? "custom",
        reason: `${route.reason}.${through}`,
      };
    },
    withMounts: (entries) => derive(mountsPick(entries), "withMounts"),
    withTransport: (t) => derive(transportPick(t), "withTransport"),
    close,
    [Symbol.asyncDispose]: () => (disposed ??= Effect.runPromise(close())),
  };
  // A client with `pick` consulted before this one's routing: the same options and plugin values, owning nothing.
  const derive = (pick: Pick, how: string): Client =>
    assemble(opts, build, {
      transport: pickedFirst(transport, pick),
      owned: [],
      explain: (url) => {
        const mine = explainRoute(url);
        const picked = pick(new Request(typeof url === "string" ? url : url.href));
        return picked === undefined ? mine : {
          ...mine,
          transport: picked,
          fallback: false,
          reason: `${how}(...) sends it to this transport, before the client's own routing`,
        };
      },
    });
  return client;
};

/**
 * The `Client` service key plus its constructors.
 *
 * @example
 * ```ts
 * import { Client, MockTransport } from "@switchyard/switchyard";
 * const live = Client.layer({ transport: MockTransport.make(() => new Response("ok")) });
 * ```
 */
export interface ClientStatics extends Context.Service<Client, Client> {
  /**
   * Builds a client; throws `InvalidOptions` (typed, synchronously) on a bad
   * option. The client owns its transports: `close()` closes them all.
   */
  make(options?: ClientOptions): Client;
  /** Provides `Client`; fails with `InvalidOptions`; closes the client with the layer's scope. */
  layer(options?: ClientOptions): Layer.Layer<Client, InvalidOptions>;
  /**
   * Provides `Client` on top of the `Transport` service (e.g. `Transport.layer(...)`
   * or `HttpTransport.layer(...)`), which keeps owning and closing it.
   */
  layerFromTransport(options?: Omit<ClientOptions, "transport">): Layer.Layer<Client, InvalidOptions, Transport>;
  /**
   * Runs an effect with these mounts in front of every client's routing (for
   * the requests those clients send on the Effect face inside it, and in the
   * fibers it forks): a test, or one part of a program, talks to a mock or
   * another service without a client being passed down. Inner overrides win
   * over outer ones; nothing leaks past the effect. The mounted transports
   * are not closed by any client.
   * @throws {InvalidOptions} naming a bad key or value (when called, before any effect runs).
   */
  withMounts(
    entries: MountEntries<Transport | null>,
  ): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>;
  /** `withMounts` for every URL: the effect's requests all go to `transport`. */
  withTransport(transport: Transport): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>;
}

const ClientKey: Context.Service<Client, Client> = Context.Service<Client>("switchyard/Client");

const tryMake = (options: ClientOptions | undefined): Effect.Effect<Client, InvalidOptions> =>
  Effect.try({
    try: () => make(options),
    catch: (error) => {
      if (error instanceof InvalidOptions) return error;
      throw error;
    },
  });

/**
 * The `Client` service (`yield* Client`) and its constructors.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { Client, MockTransport } from "@switchyard/switchyard";
 * const program = Effect.gen(function* () {
 *   const client = yield* Client;
 *   const response = yield* client.get("http://api.test/ping");
 *   return yield* Effect.promise(() => response.text());
 * });
 * const text = await Effect.runPromise(
 *   program.pipe(Effect.provide(Client.layer({ transport: MockTransport.make(() => new Response("pong")) }))),
 * );
 * ```
 */
export const Client: ClientStatics = Object.assign(ClientKey, {
  make,
  withMounts: (entries: MountEntries<Transport | null>) => withOverride(mountsPick(entries)),
  withTransport: (transport: Transport) => withOverride(transportPick(transport)),
  layer: (options?: ClientOptions): Layer.Layer<Client, InvalidOptions> =>
    Layer.effect(ClientKey, Effect.acquireRelease(tryMake(options), (client) => client.close())),
  layerFromTransport: (options?: Omit<ClientOptions, "transport">): Layer.Layer<Client, InvalidOptions, Transport> =>
    Layer.effect(
      ClientKey,
      Effect.gen(function* () {
        const transport = yield* Transport;
        // The layer that provided the transport closes it; the client only closes its mounts.
        const borrowed: Transport = { ...transport, close: () => Effect.void };
        return yield* Effect.acquireRelease(tryMake({ ...options, transport: borrowed }), (client) => client.close());
      }),
    ),
});
