/**
 * The simple path of `HttpTransport` (no retries, timeouts or pool limit),
 * on both lanes. `simpleHandle` is one `Effect.callback` around the engine's
 * promise: no signal, no timer, no schedule; an interrupted request is
 * abandoned and its response body cancelled when it arrives. `simpleFetch`
 * is the same engine call, the same `precheck`, `accept` and error mapping,
 * with no Effect run at all (~0.3 µs against ~1.6 µs for
 * `Effect.runPromise(simpleHandle(r))`, engine stubbed). `handle` stays an
 * `Effect.callback` of its own rather than a wrapper of the lane: that is the
 * cheapest Effect face (a wrapper costs ~0.2 µs more). The full path is in
 * full_path.ts.
 *
 * @module
 */
import { Effect } from "effect";
import { discardBody } from "../../core/discard_body.ts";
import { type ProxyError, type TransportError, TransportErrorBase } from "../../core/errors.ts";
import { settleOnAbort } from "../../core/transport.ts";
import { asEffect, INTERRUPTED, type PathConfig, precheck, proxyRefusal, sendSafely, toFailure } from "./attempt.ts";
import type { Engine } from "./engine.ts";

/** The response, patched so that its body fails typed, or a `ProxyError` for a proxy's `407`. */
const accept = (engine: Engine, request: Request, response: Response): Response | ProxyError =>
  engine.proxied && response.status === 407 ? proxyRefusal(request, response) : engine.patch(response, {
    request,
    classify: engine.classifyBody,
    tracked: false,
    version: engine.version(request, response),
  });

/** The simple path's Effect lane. */
export const simpleHandle = (config: PathConfig): (request: Request) => Effect.Effect<Response, TransportError> => {
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
          if (state.cancelled) return void discardBody(response);
          const out = accept(engine, request, response);
          resume(out instanceof Response ? Effect.succeed(out) : Effect.fail(out));
        },
        (error) => {
          if (!state.cancelled) resume(asEffect(toFailure(engine, request, error, request.signal.aborted)));
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
 * The simple path's Promise lane: `simpleHandle` without Effect. Cancellation is `request.signal`: a
 * rejection it caused is its `reason`, never a `TransportError` (engines that take no signal from the
 * request itself, node:http, are handed it).
 */
export const simpleFetch = (config: PathConfig): (request: Request) => Promise<Response> => {
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
  return engine.wantsSignal ? (request) => settleOnAbort(request.signal, lane(request)) : lane;
};
