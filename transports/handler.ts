/**
 * An in-process transport: calls a `Deno.serve` / `Bun.serve` fetch handler
 * (or a Hono app's `fetch`) directly, with no socket. HTTPX's ASGI/WSGI
 * transports, plus streaming responses and disconnect propagation.
 *
 * @module
 */
import { Effect, type Layer } from "effect";
import { AppError, ConnectError, InvalidOptions, type TransportError, TransportErrorBase } from "../core/errors.ts";
import { boolean, type Check, custom, fail, func, number, object, optional, string } from "../core/options.ts";
import { settleOnAbort, takeUnabortableMark, Transport } from "../core/transport.ts";
import { ServeInfo } from "./serve_info.ts";
import { discardBody } from "../core/discard_body.ts";

/**
 * A fetch handler in either style: Deno's `(request, info)` or Bun's
 * `(request, server)`. The second argument satisfies both (see `ServeInfo`).
 *
 * @example
 * ```ts
 * import type { FetchHandler } from "@switchyard/switchyard";
 * const app: FetchHandler = (request, info) => Response.json({ from: info.remoteAddr.hostname, url: request.url });
 * ```
 */
// deno-lint-ignore no-explicit-any
export type FetchHandler = (request: Request, info: any) => Response | Promise<Response>;

/**
 * The client address the app sees.
 *
 * @example
 * ```ts
 * import { HandlerTransport } from "@switchyard/switchyard";
 * const transport = HandlerTransport.make(() => new Response("ok"), { client: { hostname: "10.0.0.7", port: 50123 } });
 * ```
 */
export interface ClientAddress {
  /** IP address, e.g. `"127.0.0.1"` or `"::1"`. */
  readonly hostname: string;
  /** Port. */
  readonly port: number;
}

/**
 * Startup and shutdown hooks of the app, run by the transport's lifetime.
 *
 * @example
 * ```ts
 * import type { Lifespan } from "@switchyard/switchyard";
 * const lifespan: Lifespan = { startup: () => console.log("app up"), shutdown: () => console.log("app down") };
 * ```
 */
export interface Lifespan {
  /** Runs before the first request (with `layer`: when the layer is built). */
  readonly startup?: () => void | Promise<void>;
  /** Runs when the transport closes, if startup ran. */
  readonly shutdown?: () => void | Promise<void>;
}

/**
 * Options of `HandlerTransport.make`.
 *
 * @example
 * ```ts
 * import type { HandlerTransportOptions } from "@switchyard/switchyard";
 * const options: HandlerTransportOptions = { raiseAppExceptions: false, rootPath: "/api" };
 * ```
 */
export interface HandlerTransportOptions {
  /**
   * `true` (default): a thrown value comes back as an `AppError` (its `cause`).
   * `false`: the client gets a `500 Internal Server Error` response instead.
   */
  readonly raiseAppExceptions?: boolean;
  /**
   * Mounts the app under a sub-path: a request for `<rootPath>/x` reaches the
   * app as `/x`; anything outside `rootPath` gets a 404 without calling it.
   */
  readonly rootPath?: string;
  /** The client address the app sees (`info.remoteAddr`, `server.requestIP`). Default `127.0.0.1:123`, as HTTPX. */
  readonly client?: ClientAddress;
  /** App startup/shutdown, run by the transport. */
  readonly lifespan?: Lifespan;
}

const DEFAULT_CLIENT: ClientAddress = { hostname: "127.0.0.1", port: 123 };

const parseRootPath = (rootPath: string | undefined): string | undefined => {
  if (rootPath === undefined || rootPath === "" || rootPath === "/") return undefined;
  if (!rootPath.startsWith("/") || rootPath.includes("?") || rootPath.includes("#")) {
    throw new InvalidOptions({
      option: "rootPath",
      received: JSON.stringify(rootPath),
      expected: 'a path that starts with "/", such as "/api"',
    });
  }
  return rootPath.endsWith("/") ? rootPath.slice(0, -1) : rootPath;
};

const hook = optional(func<() => void | Promise<void>>("a function () => void | Promise<void>"));

/**
 * `{ startup?, shutdown? }`: may be any object holding them (an app object with
 * other fields too), and they are called on it, so `this` is the app.
 */
const lifespanOf: Check<Lifespan> = (value, path) => {
  if (typeof value !== "object" || value === null) return fail(path, value, "an object { startup?, shutdown? }");
  const lifespan = value as Lifespan;
  hook(lifespan.startup, `${path}.startup`);
  hook(lifespan.shutdown, `${path}.shutdown`);
  return lifespan;
};

const checkOptions = object({
  raiseAppExceptions: optional(boolean),
  rootPath: optional(string),
  client: optional(object({
    hostname: custom((u): u is string => typeof u === "string" && u !== "", "an IP address such as 127.0.0.1"),
    port: number("a port number from 0 to 65535", { min: 0, max: 65535, integer: true }),
  })),
  lifespan: optional(lifespanOf),
});

/** Strips `root` from the request's path, or `undefined` when the path is outside it. */
const underRoot = (request: Request, root: string): URL | undefined => {
  const url = new URL(request.url);
  const path = url.pathname;
  if (path !== root && !path.startsWith(root + "/")) return undefined;
  url.pathname = path.slice(root.length) || "/";
  return url;
};

const internalError = (): Response =>
  new Response("Internal Server Error", { status: 500, headers: { "content-type": "text/plain;charset=UTF-8" } });

/** A HEAD response carries no body, whatever the app returned. */
const withoutBody = (response: Response): Response => {
  if (response.body === null) return response;
  discardBody(response);
  return new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers });
};

/** The transport and its memoized startup (the layer runs it eagerly). */
interface Built {
  readonly transport: Transport;
  readonly startup: () => Promise<void>;
}

const build = (handler: FetchHandler, input: HandlerTransportOptions | undefined): Built => {
  if (typeof handler !== "function") {
    throw new InvalidOptions({
      option: "handler",
      received: handler === null ? "null" : typeof handler,
      expected: "a fetch handler function (request, info) => Response",
    });
  }
  const options = checkOptions(input, "");
  const raise = options.raiseAppExceptions ?? true;
  const root = parseRootPath(options.rootPath);
  const client: ClientAddress = options.client ?? DEFAULT_CLIENT;
  const lifespan = options.lifespan;
  let started: Promise<void> | undefined;
  let ready = false;
  // Set when `close()` starts: from then on nothing reaches the app (its shutdown runs or has run).
  let closed = false;
  // A startup that throws (or rejects) fails every request with AppError; it is run once, never in the caller's stack.
  const startup = (): Promise<void> =>
    started ??= new Promise<void>((resolve) => resolve(lifespan?.startup?.())).then(() => {
      ready = true;
    });
  const startupFailed = (request: Request) => (error: unknown): never => {
    throw new AppError(request, { detail: "the app's lifespan startup failed", cause: error });
  };
  const closedError = (request: Request): ConnectError =>
    new ConnectError(request, { detail: "the transport is closed; the app is not called after close()" });

  const toError = (request: Request, error: unknown): TransportError =>
    error instanceof TransportErrorBase ? error as TransportError : new AppError(request, { cause: error });

  /** What the app sees: `request` itself, or a copy re-rooted under `rootPath` (undefined: outside it). */
  const appRequestFor = (request: Request, signal: AbortSignal | undefined): Request | undefined => {
    if (root === undefined) return request;
    const inner = underRoot(request, root);
    if (inner === undefined) return undefined;
    const init = { method: request.method, headers: request.headers, body: request.body, signal, duplex: "half" };
    return new Request(inner, init as RequestInit);
  };

  /** Shapes what the app returned (a non-Response, HEAD, `completed` tracking); throws AppError when raising. */
  const finish = (request: Request, response: Response, info: ServeInfo, signal: AbortSignal | undefined): Response => {
    if (!(response instanceof Response)) {
      if (raise) throw new AppError(request, { detail: `the handler returned ${typeof response}, not a Response` });
      return internalError();
    }
    // Aborted while the app was working: nobody will read this body.
    if (signal?.aborted) {
      discardBody(response);
      return response;
    }
    if (request.method === "HEAD") return withoutBody(response);
    return info.track(response, signal);
  };

  /** What the app threw: an AppError (or the TransportError it threw), or a 500 when not raising. */
  const failed = (request: Request, error: unknown): Response => {
    if (raise || error instanceof TransportErrorBase) throw toError(request, error);
    return internalError();
  };

  /**
   * Calls the app and shapes its answer. Synchronous as far as the app is: a
   * handler that returns a Response (not a Promise) costs no extra microtask.
   */
  const respond = (request: Request, app: Request, signal: AbortSignal | undefined): Promise<Response> => {
    if (closed) return Promise.reject(closedError(request));
    if (lifespan?.startup && !ready) {
      return startup().then(() => respond(request, app, signal), startupFailed(request));
    }
    const info = new ServeInfo(client);
    let result: Response | Promise<Response>;
    try {
      result = handler(app, info);
      if (result instanceof Response) return Promise.resolve(finish(request, result, info, signal));
    } catch (error) {
      return new Promise((resolve) => resolve(failed(request, error)));
    }
    return Promise.resolve(result).then(
      (response) => finish(request, response, info, signal),
      (error) => failed(request, error),
    );
  };

  // Effect lane: the app's request gets its own signal, aborted when the fiber is
  // interrupted (a timeout, a lost race) or when the caller's own signal aborts,
  // also later, while the body is read (the link lives as long as the request).
  const call = (request: Request, signal: AbortSignal): Promise<Response> => {
    const controller = new AbortController();
    const onAbort = () => controller.abort(request.signal.reason);
    if (request.signal.aborted) onAbort();
    else request.signal.addEventListener("abort", onAbort, { once: true });
    // Prefer the caller's own reason when its signal is what interrupted us.
    signal.addEventListener(
      "abort",
      () => controller.abort(request.signal.aborted ? request.signal.reason : signal.reason),
      {
        once: true,
      },
    );
    const app = root === undefined
      ? new Request(request, { signal: controller.signal })
      : appRequestFor(request, controller.signal);
    if (app === undefined) return Promise.resolve(new Response("Not Found", { status: 404 }));
    return respond(request, app, controller.signal);
  };

  // Promise lane (client.fetch): the app gets the caller's request as it is, whose signal already follows
  // the caller's AbortSignal; no copy, no controller. The call settles on that signal as fetch does: at once
  // if it is already aborted (the app is not called), promptly if it aborts while the app works.
  const lane = (request: Request): Promise<Response> => {
    if (takeUnabortableMark(request)) {
      // Nothing can abort it (the client built it without a signal): `request.signal` is not even read,
      // which allocates on Bun.
      const app = root === undefined ? request : appRequestFor(request, undefined);
      if (app === undefined) return Promise.resolve(new Response("Not Found", { status: 404 }));
      return respond(request, app, undefined);
    }
    const signal = request.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    const app = root === undefined ? request : appRequestFor(request, signal);
    if (app === undefined) return Promise.resolve(new Response("Not Found", { status: 404 }));
    return settleOnAbort(signal, respond(request, app, signal));
  };

  const transport = Transport.make({
    kind: "handler",
    handle: (request) =>
      Effect.tryPromise({ try: (signal) => call(request, signal), catch: (error) => toError(request, error) }),
    fetch: lane,
    close: () =>
      Effect.promise(async () => {
        closed = true;
        if (started !== undefined && lifespan?.shutdown) {
          // A failed startup has nothing to shut down.
          if (await started.then(() => true, () => false)) await lifespan.shutdown();
        }
      }),
  });
  return { transport, startup };
};

/**
 * Constructors of the in-process transport.
 *
 * @example
 * ```ts
 * import { HandlerTransport } from "@switchyard/switchyard";
 * const live = HandlerTransport.layer(() => new Response("ok"), { lifespan: { startup: () => console.log("up") } });
 * ```
 */
export interface HandlerTransportStatics {
  /**
   * Wraps a fetch handler as a transport. Throws `InvalidOptions` on a bad option.
   * With a `lifespan`, startup runs before the first request and shutdown on `close()`.
   * After `close()`, requests fail with `ConnectError` ("the transport is closed") and never reach the app.
   */
  make(handler: FetchHandler, options?: HandlerTransportOptions): Transport;
  /**
   * Provides `Transport` from a handler; the lifespan's startup runs when the
   * layer is built and its shutdown when the layer's scope closes.
   */
  layer(handler: FetchHandler, options?: HandlerTransportOptions): Layer.Layer<Transport, InvalidOptions>;
}

/**
 * Calls a fetch handler in-process: no socket, no port, real `Request` and
 * `Response` objects, streaming both ways.
 *
 * @example
 * ```ts
 * import { Client, HandlerTransport } from "@switchyard/switchyard";
 * const app = (request: Request) => Response.json({ path: new URL(request.url).pathname });
 * await using client = Client.make({ baseUrl: "http://app.test", transport: HandlerTransport.make(app) });
 * const response = await client.fetch("/users/1");
 * await response.json(); // { path: "/users/1" }
 * ```
 */
export const HandlerTransport: HandlerTransportStatics = {
  make: (handler: FetchHandler, options?: HandlerTransportOptions): Transport => build(handler, options).transport,
  layer: (handler: FetchHandler, options?: HandlerTransportOptions): Layer.Layer<Transport, InvalidOptions> =>
    Transport.layer(
      Effect.try({ try: () => build(handler, options), catch: (error) => error as InvalidOptions }).pipe(
        Effect.tap(({ startup }) => Effect.promise(startup)),
        Effect.map(({ transport }) => transport),
      ),
    ),
};
