/**
 * `retry`'s decisions, written once for both lanes: after a transient
 * outcome, whether the method and the body allow another attempt, and how
 * long to wait (the schedule, `Retry-After` or a breaker's hint, and the
 * whole-call budget).
 *
 * @module
 */
import { Duration, Effect, Schedule } from "effect";
import { CircuitOpen, isNotSent, NoHealthyUpstream, RetryAfterTooLong } from "../core/errors.ts";
import { retryAfterMs } from "./http_facts.ts";
import { planReplay, type Replay } from "./replay.ts";
import type { RetryRecord, RetryStop } from "./retry_info.ts";
import { isTransient, type RetryConfig, type RetryOutcome } from "./retry_options.ts";

/** The state of one call across its attempts. */
export interface CallState {
  /** The request of the first attempt (after buffering, if any). */
  readonly request: Request;
  /** Resends before this call's first attempt (a redirect hop is one), so that counts add up. */
  readonly resent: number;
  /** When the call started (ms, the lane's clock), for the budget. */
  readonly started: number;
  attempts: number;
  readonly retries: Array<RetryRecord>;
  replay: Replay | undefined;
  step: ((now: number, input: RetryOutcome) => Effect.Effect<[unknown, Duration.Duration], unknown>) | undefined;
}

/**
 * The next step of a call: retry after `delayMs` with `request`, stop and
 * hand the outcome back (saying why, when it was transient), or give up
 * with a `RetryAfterTooLong`.
 */
export type Verdict =
  | { readonly _tag: "retry"; readonly request: Request; readonly record: RetryRecord }
  | { readonly _tag: "stop"; readonly stopped: RetryStop | undefined }
  | { readonly _tag: "fail"; readonly error: RetryAfterTooLong };

const stop = (stopped: RetryStop | undefined): Verdict => ({ _tag: "stop", stopped });

/** The wait the outcome asks for, in ms (`Retry-After`, or a not-sent error's hint). */
const hintOf = (config: RetryConfig, outcome: RetryOutcome, now: number): number | undefined => {
  if (config.retryAfter === undefined) return undefined;
  if (outcome instanceof CircuitOpen || outcome instanceof NoHealthyUpstream) return outcome.retryAfterMs;
  return outcome instanceof Response ? retryAfterMs(outcome, now) : undefined;
};

const mayResend = (config: RetryConfig, request: Request): boolean => {
  const method = request.method;
  if (config.methods.has(method)) return true;
  return config.keyHeader !== undefined && (method === "POST" || method === "PATCH") &&
    request.headers.has(config.keyHeader);
};

/**
 * Decides what follows `outcome` (the result of attempt `state.attempts`).
 * Cheap gates first; the schedule is stepped only when everything else
 * allows a retry.
 */
export const decide = (config: RetryConfig, state: CallState, outcome: RetryOutcome): Effect.Effect<Verdict> =>
  Effect.clockWith((clock) => {
    if (!isTransient(config, outcome)) return Effect.succeed(stop(undefined));
    const request = state.request;
    if (!(outcome instanceof Response) && isNotSent(outcome)) {
      if (outcome instanceof CircuitOpen && outcome.retryAfterMs === undefined) {
        return Effect.succeed(stop("circuit-open"));
      }
    } else if (!mayResend(config, request)) return Effect.succeed(stop("not-idempotent"));
    if (state.retries.length >= config.limit) return Effect.succeed(stop("limit"));
    const replay = state.replay ??= planReplay(request);
    if (!replay.canReplay()) return Effect.succeed(stop("body-not-replayable"));
    const now = clock.currentTimeMillisUnsafe();
    const hint = hintOf(config, outcome, now);
    return Effect.map(scheduled(config, state, outcome, now), (wait): Verdict => {
      if (wait === undefined) return stop("schedule-done");
      let delayMs = wait;
      const status = outcome instanceof Response ? outcome.status : 0;
      if (hint !== undefined) {
        const { max, policy } = config.retryAfter!;
        let asked = hint;
        if (asked > max) {
          if (policy === "return") return stop("retry-after-too-long");
          if (policy === "fail") return tooLong(request, status, asked, max, "max");
          asked = max;
        }
        delayMs = Math.max(delayMs, asked);
      }
      if (config.budget !== undefined) {
        const left = state.started + config.budget - now;
        if (delayMs >= left) {
          return hint !== undefined && hint >= wait && config.retryAfter!.policy === "fail"
            ? tooLong(request, status, delayMs, Math.max(0, left), "budget")
            : stop("budget");
        }
      }
      const record: RetryRecord = outcome instanceof Response
        ? {
          attempt: state.attempts,
          reason: `status ${status}`,
          status,
          delayMs,
          ...(hint === undefined ? {} : { retryAfterMs: hint }),
        }
        : {
          attempt: state.attempts,
          reason: outcome._tag,
          error: outcome._tag,
          delayMs,
          ...(hint === undefined ? {} : { retryAfterMs: hint }),
        };
      return { _tag: "retry", request: replay.next(), record };
    });
  });

const tooLong = (
  request: Request,
  status: number,
  waitMs: number,
  limitMs: number,
  limit: "max" | "budget",
): Verdict => ({
  _tag: "fail",
  error: new RetryAfterTooLong(request, { status, waitMs, limitMs, limit }),
});

/** The schedule's next wait in ms, or `undefined` when it is done. The step is built on first use. */
const scheduled = (
  config: RetryConfig,
  state: CallState,
  outcome: RetryOutcome,
  now: number,
): Effect.Effect<number | undefined> =>
  Effect.suspend(() => {
    const step = state.step;
    if (step === undefined) {
      return Effect.flatMap(Schedule.toStep(config.schedule), (built) => {
        state.step = built as CallState["step"];
        return scheduled(config, state, outcome, now);
      });
    }
    return step(now, outcome).pipe(
      Effect.map(([, delay]) => Duration.toMillis(delay)),
      // The schedule ended (its `Done`), or failed: stop retrying either way.
      Effect.catchCause(() => Effect.succeed(undefined)),
    );
  });
