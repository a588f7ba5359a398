/**
 * What one attempt through an engine does, shared by the simple and the full
 * path: the refusals made before sending, sending itself, and what a failure
 * or a proxy's `407` becomes.
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
} from "../../core/errors.ts";
import { type Engine, isHttpUrl } from "./engine.ts";
import type { InFlight } from "./in_flight.ts";
import type { ResolvedHttpOptions } from "./options.ts";
import { discardBody } from "../../core/discard_body.ts";

/** What the per-request code needs from the transport. */
export interface PathConfig {
  readonly engine: Engine;
  readonly timeout: ResolvedHttpOptions["timeout"];
  /** `limits.maxConnections`, when set. */
  readonly inFlight: InFlight | undefined;
  readonly schedule: Schedule.Schedule<unknown, TransportError> | undefined;
  /** Set by `close()`. */
  readonly closed: { value: boolean };
}

/** The abort reason of an interrupted attempt (never surfaces: the fiber is gone). */
export const INTERRUPTED: { readonly interrupted: true } = Object.freeze({ interrupted: true });

/** How an attempt ended badly: a typed error, or interruption (the fiber's, or the caller's signal). */
export type Failure = TransportError | typeof INTERRUPTED;

/** The refusals made before anything is sent: a closed transport, a non-http URL, the engine's own check. */
export const precheck = (config: PathConfig, request: Request): TransportError | undefined => {
  if (config.closed.value) return new ConnectError(request, { detail: "the transport is closed" });
  if (!isHttpUrl(request.url)) {
    // data:, blob: and file: are the runtime's to read: there is nothing to route, pool or retry.
    const scheme = request.url.slice(0, request.url.indexOf(":") + 1);
    const local = scheme === "data:" || scheme === "blob:" || scheme === "file:";
    return new UnsupportedProtocol(request, {
      detail: `a network transport sends only http:// and https:// URLs` +
        (local ? ` (for a ${scheme} URL call the runtime's own fetch)` : ""),
    });
  }
  return config.engine.check?.(request);
};

/**
 * A runtime failure (classified by the engine), our own timeout (as is), or an abort (interruption,
 * not an error). `aborted` tells whether the caller's or the attempt's signal fired.
 */
export const toFailure = (engine: Engine, request: Request, error: unknown, aborted: boolean): Failure => {
  if (error instanceof TransportErrorBase) return error as TransportError;
  if (aborted) return INTERRUPTED;
  return engine.classify(error, request);
};

/** A failure as an Effect: `Effect.fail`, or `Effect.interrupt` for interruption. */
export const asEffect = (failure: Failure): Effect.Effect<never, TransportError> =>
  failure === INTERRUPTED ? Effect.interrupt : Effect.fail(failure as TransportError);

/** `engine.send`, with a synchronous throw turned into a rejection. */
export const sendSafely = (engine: Engine, request: Request, signal: AbortSignal | undefined): Promise<Response> => {
  try {
    return engine.send(request, signal);
  } catch (error) {
    return Promise.reject(error);
  }
};

/** A proxy's `407` as a `ProxyError` (the body is cancelled). */
export const proxyRefusal = (request: Request, response: Response): ProxyError => {
  discardBody(response);
  return new ProxyError(request, { detail: `the proxy answered ${response.status} ${response.statusText}`.trim() });
};
