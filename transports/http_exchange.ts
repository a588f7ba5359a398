/**
 * One request through an engine: the per-request code of `HttpTransport`,
 * and its fast path (no retries, timeouts or pool limit): one `Effect.callback`
 * around the engine's promise, no signal, no timer, no schedule. An
 * interrupted request is abandoned there, and its response body cancelled
 * when it arrives. The fast path also has a Promise lane (`fastFetch`, the
 * transport's `fetch`): the same engine call, the same `precheck`, `accept`
 * and error mapping, with no Effect run at all (~0.3 µs against ~1.6 µs for
 * `Effect.runPromise(fastHandle(r))`, engine stubbed). `handle` stays an
 * `Effect.callback` of its own rather than a wrapper of the lane: that is the
 * cheapest Effect face (a wrapper costs ~0.2 µs more). The full path is in
 * http_attempts.ts.
 *
 * @module
 */
import { Effect, type Schedule } from "effect";
import {
  ConnectError,
  ProxyError,
  type TransportError,
  TransportErrorBase,
  UnsupportedProtocol,
} from "../core/errors.ts";
import { type Engine, isHttpUrl } from "./http_engine.ts";
import type { ResolvedHttpOptions } from "./http_options.ts";
import type { Slots } from "./http_pool.ts";
import { patch } from "./http_response.ts";

/**
 * What the per-request code needs from the transport.
 *
 * @example
 * ```ts
 * import type { ExchangeConfig } from "./http_exchange.ts";
 * const isClosed = (config: ExchangeConfig) => config.closed.value;
 * ```
 */
export interface ExchangeConfig {
  readonly engine: Engine;
  readonly timeout: ResolvedHttpOptions["timeout"];
  readonly slots: Slots | undefined;
  readonly schedule: Schedule.Schedule<unknown, TransportError> | undefined;
  /** Set by `close()`. */
  readonly closed: { value: boolean };
}

/**
 * The abort reason of an interrupted attempt (never surfaces: the fiber is gone).
 *
 * @example
 * ```ts
 * import { INTERRUPTED } from "./http_exchange.ts";
 * new AbortController().abort(INTERRUPTED);
 * ```
 */
export const INTERRUPTED: { readonly interrupted: true } = Object.freeze({ interrupted: true });

/**
 * How an attempt ended badly: a typed error, or interruption.
 *
 * @example
 * ```ts
 * import { type Failure, INTERRUPTED } from "./http_exchange.ts";
 * const failure: Failure = INTERRUPTED;
 * ```
 */
export type Failure = TransportError | typeof INTERRUPTED;

/**
 * The refusals made before anything is sent: a closed transport, a non-http URL, the engine's own check.
 *
 * @example
 * ```ts
 * import { precheck } from "./http_exchange.ts";
 * // precheck(config, new Request("file:///etc/passwd")) is an UnsupportedProtocol
 * ```
 */
export const precheck = (config: ExchangeConfig, request: Request): TransportError | undefined => {
  if (config.closed.value) return new ConnectError(request, { detail: "the transport is closed" });
  if (!isHttpUrl(request.url)) {
    return new UnsupportedProtocol(request, { detail: "a network transport sends only http:// and https:// URLs" });
  }
  return config.engine.check?.(request);
};

/**
 * A runtime failure (classified by the engine), our own timeout (as is), or the user's abort
 * (interruption, not an error).
 *
 * @example
 * ```ts
 * import { toFailure } from "./http_exchange.ts";
 * // toFailure(engine, request, new TypeError("fetch failed", { cause })) is a ConnectError, ReadError, ...
 * ```
 */
export const toFailure = (engine: Engine, request: Request, error: unknown): Failure => {
  if (error instanceof TransportErrorBase) return error as TransportError;
  if (request.signal.aborted) return INTERRUPTED;
  return engine.classify(error, request);
};

/**
 * A failure as an Effect: `Effect.fail`, or `Effect.interrupt` for interruption.
 *
 * @example
 * ```ts
 * import { asEffect, INTERRUPTED } from "./http_exchange.ts";
 * asEffect(INTERRUPTED); // Effect.interrupt
 * ```
 */
export const asEffect = (failure: Failure): Effect.Effect<never, TransportError> =>
  failure === INTERRUPTED ? Effect.interrupt : Effect.fail(failure as TransportError);

/**
 * Cancels the body of a response nobody will read.
 *
 * @example
 * ```ts
 * import { discard } from "./http_exchange.ts";
 * discard(new Response("unread"));
 * ```
 */
export const discard = (response: Response): void => {
  response.body?.cancel().catch(() => {});
};

/**
 * `engine.send`, with a synchronous throw turned into a rejection.
 *
 * @example
 * ```ts
 * import { sendSafely } from "./http_exchange.ts";
 * // sendSafely(engine, request, undefined).then(...)
 * ```
 */
export const sendSafely = (engine: Engine, request: Request, signal: AbortSignal | undefined): Promise<Response> => {
  try {
    return engine.send(request, signal);
  } catch (error) {
    return Promise.reject(error);
  }
};

/**
 * A proxy's `407` as a `ProxyError` (the body is cancelled).
 *
 * @example
 * ```ts
 * import { proxyRefusal } from "./http_exchange.ts";
 * proxyRefusal(new Request("http://x.test/"), new Response(null, { status: 407 })).detail; // "the proxy answered 407"
 * ```
 */
export const proxyRefusal = (request: Request, response: Response): ProxyError => {
  discard(response);
  return new ProxyError(request, { detail: `the proxy answered ${response.status} ${response.statusText}`.trim() });
};

/**
 * What the fast path makes of the engine's response: the response, patched so that its body fails
 * with typed errors, or a `ProxyError` for a proxy's `407`. Shared by both faces.
 *
 * @example
 * ```ts
 * import { accept } from "./http_exchange.ts";
 * // accept(engine, request, response) is the patched response, or a ProxyError
 * ```
 */
export const accept = (engine: Engine, request: Request, response: Response): Response | ProxyError =>
  engine.proxied && response.status === 407
    ? proxyRefusal(request, response)
    : patch(response, { request, classify: engine.classifyBody, tracked: false });

/**
 * The fast path: no retries, no timeouts, no pool limit.
 *
 * @example
 * ```ts
 * import { fastHandle } from "./http_exchange.ts";
 * // const handle = fastHandle(config); handle(new Request("http://127.0.0.1:8080/"))
 * ```
 */
export const fastHandle = (config: ExchangeConfig): (request: Request) => Effect.Effect<Response, TransportError> => {
  const { engine } = config;
  const wantsSignal = engine.wantsSignal;
  return (request) => {
    const refused = precheck(config, request);
    if (refused !== undefined) return Effect.fail(refused);
    return Effect.callback<Response, TransportError>((resume) => {
      const state = { cancelled: false };
      const controller = wantsSignal ? new AbortController() : undefined;
      sendSafely(engine, request, controller?.signal).then(
        (response) => {
          if (state.cancelled) return discard(response);
          const out = accept(engine, request, response);
          resume(out instanceof Response ? Effect.succeed(out) : Effect.fail(out));
        },
        (error) => {
          if (!state.cancelled) resume(asEffect(toFailure(engine, request, error)));
        },
      );
      return Effect.sync(() => {
        state.cancelled = true;
        controller?.abort(INTERRUPTED);
      });
    });
  };
};

/**
 * The fast path's Promise lane (`Transport.fetch`): `fastHandle` without Effect. Same engine call,
 * same errors (as rejections), same patched response. Cancellation is `request.signal`: a rejection
 * it caused is its `reason`, never a `TransportError` (engines that take no signal from the request
 * itself, node:http, are handed it).
 *
 * @example
 * ```ts
 * import { fastFetch } from "./http_exchange.ts";
 * // const fetch = fastFetch(config); await fetch(new Request("http://127.0.0.1:8080/"))
 * ```
 */
export const fastFetch = (config: ExchangeConfig): (request: Request) => Promise<Response> => {
  const { engine } = config;
  const lane = (request: Request): Promise<Response> => {
    const refused = precheck(config, request);
    if (refused !== undefined) return Promise.reject(refused);
    return sendSafely(engine, request, engine.wantsSignal ? request.signal : undefined).then(
      (response) => {
        const out = accept(engine, request, response);
        if (out instanceof Response) return out;
        throw out;
      },
      (error) => {
        const signal = request.signal;
        if (signal.aborted) throw signal.reason;
        throw error instanceof TransportErrorBase ? error : engine.classify(error, request);
      },
    );
  };
  // fetch engines settle on the request's signal themselves. node:http on Deno does not always (a request
  // destroyed on a reused keep-alive socket fails only when the server closes it): settle on the abort here,
  // as `handle` does on interruption, and cancel a response that arrives after it.
  return engine.wantsSignal ? (request) => settleOnAbort(request, lane(request)) : lane;
};

const settleOnAbort = (request: Request, pending: Promise<Response>): Promise<Response> =>
  new Promise<Response>((resolve, reject) => {
    const signal = request.signal;
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    pending.then(
      (response) => {
        signal.removeEventListener("abort", onAbort);
        if (settled) return discard(response);
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
