/**
 * Connect retries, as in HTTPX (`retries=n`, httpcore's `exponential_backoff`):
 * only failures that prove the request never left (`ConnectError`,
 * `ConnectTimeout`) are retried, after 0, 0.5 s, 1 s, 2 s, 4 s, ... (here each
 * delay jittered by ×0.8-1.2). Plus the rule for request bodies: a body is
 * re-sent only from a copy, and a one-shot stream never once any byte of it
 * was read.
 *
 * @module
 */
import { Duration, Effect, Schedule } from "effect";
import { ConnectError, ConnectTimeout, type TransportError } from "../../core/errors.ts";
import type { BodyKind } from "./engine.ts";
import { discardBody } from "../../core/discard_body.ts";

/** HTTPX's backoff factor: the second retry waits 0.5 s, then it doubles. */
const BACKOFF_MS = 500;

/**
 * Whether `error` proves the request never left, which is what `retries: n`
 * retries.
 *
 * @example
 * ```ts
 * import { ConnectError } from "../../core/errors.ts";
 * import { isConnectFailure } from "./retry.ts";
 * isConnectFailure(new ConnectError({ method: "POST", url: "http://x.test/" })); // true
 * ```
 */
export const isConnectFailure = (error: TransportError): boolean =>
  error instanceof ConnectError || error instanceof ConnectTimeout;

/**
 * The schedule behind `retries: n`: `n` retries of connect failures, delays
 * 0, 0.5 s, 1 s, 2 s, ... each ×0.8-1.2.
 *
 * @example
 * ```ts
 * import { httpxBackoff } from "./retry.ts";
 * const schedule = httpxBackoff(3);
 * ```
 */
export const httpxBackoff = (retries: number): Schedule.Schedule<unknown, TransportError> =>
  Schedule.recurs(retries).pipe(
    Schedule.setInputType<TransportError>(),
    Schedule.while(({ input }) => isConnectFailure(input)),
    Schedule.modifyDelay(({ attempt }) =>
      Effect.succeed(Duration.millis(attempt <= 1 ? 0 : BACKOFF_MS * 2 ** (attempt - 2)))
    ),
    Schedule.jittered,
  ) as Schedule.Schedule<unknown, TransportError>;

/**
 * Hands out the request for each attempt.
 *
 * @example
 * ```ts
 * import { planAttempts, type Replay } from "./retry.ts";
 * const replay: Replay = planAttempts(new Request("http://x.test/"), "none");
 * ```
 */
export interface Replay {
  /** The request for the next attempt; `undefined` when its body cannot be sent again. */
  next(error: TransportError | undefined): Request | undefined;
  /** Whether another attempt may be made after `error` (without taking it). */
  canRetry(error: TransportError): boolean;
  /** Drops the copies kept for retries (cancels their bodies). */
  dispose(): void;
}

/**
 * Plans the attempts of one request. `kind` comes from the engine (which knows
 * whether its runtime reads a streamed body before the connection exists):
 * - `none`: the same request is sent again;
 * - `buffered`: a copy made before the first attempt is re-sent (a clone of it each time);
 * - `stream`: never re-sent once the runtime read from it (Deno reads it eagerly, before connecting);
 * - `unknown` (Bun, which can't tell a buffered body from a stream): a copy is kept; the original is
 *   re-sent when the runtime has not touched it (`bodyUsed` is false), the copy only after a
 *   connect failure (Bun reads a streamed body only once connected, so a stream was not read).
 *
 * @example
 * ```ts
 * import { planAttempts } from "./retry.ts";
 * const replay = planAttempts(new Request("http://x.test/"), "none");
 * replay.next(undefined); // the request itself
 * ```
 */
export const planAttempts = (request: Request, kind: BodyKind): Replay => {
  let attempts = 0;
  if (kind === "none") return { next: () => (attempts++, request), canRetry: () => true, dispose: () => {} };
  if (kind === "stream") {
    return { next: () => (attempts++ === 0 ? request : undefined), canRetry: () => false, dispose: () => {} };
  }
  let copy: Request | undefined = request.clone();
  let last: Request = request;
  const canRetry = (error: TransportError | undefined): boolean =>
    copy !== undefined &&
    (kind === "buffered" || !last.bodyUsed || (error !== undefined && isConnectFailure(error)));
  return {
    next(error) {
      if (attempts++ === 0) return request;
      if (!canRetry(error)) return undefined;
      if (kind === "unknown" && !last.bodyUsed) return last;
      last = copy!.clone();
      return last;
    },
    canRetry,
    dispose() {
      // Only our own copies are touched here; a copy's body getter is safe to use.
      discardBody(copy);
      copy = undefined;
    },
  };
};
