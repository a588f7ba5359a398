/**
 * The lanes of `retry()` (retry.ts), loaded with its first request: the
 * retry loop as one Effect, the Promise lane entering it only after a
 * transient first outcome.
 *
 * @module
 */
import { Effect, Result } from "effect";
import { isTransportError, ReadTimeout, type TransportError } from "../core/errors.ts";
import type { Plugin } from "../core/plugin.ts";
import { runLane, Transport } from "../core/transport.ts";
import { bodySource } from "../core/body_source.ts";
import { discardBody } from "../core/discard_body.ts";
import { bufferBody } from "./replay.ts";
import { markResend, resendOf } from "./resend.ts";
import { recordInfo, type RetryStop } from "./retry_info.ts";
import { isTransient, type RetryConfig, type RetryOutcome } from "./retry_options.ts";
import { type CallState, decide } from "./retry_policy.ts";

/** Hands `outcome` back, recording what happened when there is something to say. */
const finish = (
  state: CallState,
  outcome: RetryOutcome,
  stopped: RetryStop | undefined,
): Effect.Effect<Response, TransportError> => {
  if (state.retries.length > 0 || stopped !== undefined) {
    recordInfo(outcome, {
      attempts: state.attempts,
      retries: state.retries,
      ...(stopped === undefined ? {} : { stopped }),
    });
  }
  return outcome instanceof Response ? Effect.succeed(outcome) : Effect.fail(outcome);
};

/** One later attempt, cut at the call's budget when there is one. */
const attempt = (
  config: RetryConfig,
  next: Transport,
  state: CallState,
  request: Request,
): Effect.Effect<Response, TransportError> => {
  const budget = config.budget;
  if (budget === undefined) return next.handle(request);
  return Effect.clockWith((clock) => {
    const left = state.started + budget - clock.currentTimeMillisUnsafe();
    return Effect.timeoutOrElse(next.handle(request), {
      duration: Math.max(0, left),
      orElse: () => Effect.fail(new ReadTimeout(request, { detail: `the retry budget of ${budget} ms ran out` })),
    });
  });
};

/** The retry loop, from the outcome of the first attempt: the one definition both lanes run. */
const loop = (
  config: RetryConfig,
  next: Transport,
  state: CallState,
  first: RetryOutcome,
): Effect.Effect<Response, TransportError> =>
  Effect.gen(function* () {
    let outcome = first;
    for (;;) {
      const verdict = yield* decide(config, state, outcome);
      if (verdict._tag === "stop") return yield* finish(state, outcome, verdict.stopped);
      if (outcome instanceof Response) discardBody(outcome);
      if (verdict._tag === "fail") return yield* finish(state, verdict.error, undefined);
      state.retries.push(verdict.record);
      if (verdict.record.delayMs > 0) yield* Effect.sleep(verdict.record.delayMs);
      const request = verdict.request;
      markResend(request, state.resent + state.attempts, verdict.record.reason);
      state.attempts++;
      const result = yield* Effect.result(attempt(config, next, state, request));
      outcome = Result.isSuccess(result) ? result.success : result.failure;
    }
  });

const newState = (request: Request, started: number): CallState => ({
  request,
  resent: resendOf(request)?.count ?? 0,
  started,
  attempts: 1,
  retries: [],
  replay: undefined,
  step: undefined,
});

/** Whether the body must be buffered before the first attempt (`replayBuffer` on, a one-shot body). */
const needsBuffer = (config: RetryConfig, request: Request): boolean => {
  if (config.replayBuffer === 0) return false;
  const source = bodySource(request);
  return source === "stream" || source === "unknown";
};

/**
 * The retry plugin for a checked `config`.
 *
 * @example
 * ```ts
 * import { retryLanes } from "./retry_lanes.ts";
 * import { resolveRetry } from "./retry_options.ts";
 * const plugin = retryLanes(resolveRetry({ limit: 1 }));
 * ```
 */
export const retryLanes = (config: RetryConfig): Plugin => {
  const timed = config.budget !== undefined;
  const plugin: Plugin = (next) => {
    // The Effect lane: the first attempt in the caller's fiber, then the loop.
    const fromFirst = (request: Request, started: number): Effect.Effect<Response, TransportError> =>
      Effect.matchEffect(next.handle(request), {
        onSuccess: (response) =>
          isTransient(config, response)
            ? loop(config, next, newState(request, started), response)
            : Effect.succeed(response),
        onFailure: (error) =>
          isTransient(config, error) ? loop(config, next, newState(request, started), error) : Effect.fail(error),
      });
    const handle = !timed && config.replayBuffer === 0 ? (request: Request) => fromFirst(request, 0) : (
      request: Request,
    ): Effect.Effect<Response, TransportError> =>
      Effect.clockWith((clock) => {
        const started = timed ? clock.currentTimeMillisUnsafe() : 0;
        if (!needsBuffer(config, request)) return fromFirst(request, started);
        return Effect.flatMap(bufferBody(request, config.replayBuffer), ({ first }) => fromFirst(first, started));
      });
    // The Promise lane: the first attempt on `nextFetch`; the loop (and its Effect run) only after a transient outcome.
    const fetchFirst = (request: Request, nextFetch: (request: Request) => Promise<Response>): Promise<Response> => {
      const started = timed ? Date.now() : 0;
      return nextFetch(request).then(
        (response) =>
          isTransient(config, response)
            ? runLane(loop(config, next, newState(request, started), response), request.signal)
            : response,
        (error) => {
          if (!isTransportError(error) || !isTransient(config, error)) throw error;
          return runLane(loop(config, next, newState(request, started), error), request.signal);
        },
      );
    };
    return Transport.wrap(next, {
      name: "retry",
      handle,
      fetch: (request, nextFetch) =>
        needsBuffer(config, request)
          ? runLane(bufferBody(request, config.replayBuffer), request.signal).then(({ first }) =>
            fetchFirst(first, nextFetch)
          )
          : fetchFirst(request, nextFetch),
    });
  };
  Object.defineProperty(plugin, "name", { value: "retry" });
  return plugin;
};
