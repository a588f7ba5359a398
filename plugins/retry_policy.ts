/**
 * `retry`'s decisions, written once for both lanes: which outcomes are
 * transient, which methods may be sent again, how long to wait (the
 * schedule, `Retry-After` and the whole-call budget), and what the final
 * outcome says about the attempts (`retryInfo`).
 *
 * @module
 */
import { Duration, Effect, Random, Schedule } from "effect";
import {
  CircuitOpen,
  InvalidOptions,
  isNotSent,
  NoHealthyUpstream,
  RetryAfterTooLong,
  type TransportError,
} from "../core/errors.ts";
import { array, custom, number, object, optional, string } from "../core/options.ts";
import { retryAfterMs } from "./http_facts.ts";
import { planReplay, type Replay } from "./replay.ts";

/**
 * What a retry schedule sees as its input: the outcome that is about to be
 * retried (a transient response, or a transport error).
 *
 * @example
 * ```ts
 * import type { RetryOutcome } from "@switchyard/switchyard";
 * const describe = (o: RetryOutcome) => o instanceof Response ? `status ${o.status}` : o._tag;
 * ```
 */
export type RetryOutcome = Response | TransportError;

/**
 * What `retry` does when a wait it is asked for (`Retry-After`, or the hint
 * of a `CircuitOpen` / `NoHealthyUpstream`) is longer than `max` or than the
 * rest of the budget: wait `max` and retry early (`"clamp"`), give up and
 * return the response or error as it is (`"return"`), or give up with a
 * `RetryAfterTooLong` (`"fail"`).
 *
 * @example
 * ```ts
 * import type { RetryAfterPolicy } from "@switchyard/switchyard";
 * const policy: RetryAfterPolicy = { max: 30_000, policy: "fail" };
 * ```
 */
export interface RetryAfterPolicy {
  /** The longest wait `retry` accepts from the server, in ms (default 60 000). */
  readonly max?: number;
  /** What to do with a longer one (default `"return"`). */
  readonly policy?: "clamp" | "return" | "fail";
}

/**
 * Options of `retry`.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect";
 * import type { RetryOptions } from "@switchyard/switchyard";
 * const options: RetryOptions = {
 *   limit: 3,
 *   idempotencyKey: true,
 *   backoff: Schedule.spaced("100 millis"),
 *   retryAfter: { max: 10_000, policy: "fail" },
 *   budget: 30_000,
 * };
 * ```
 */
export interface RetryOptions {
  /** Retries after the first attempt (default 2, so at most 3 attempts). */
  readonly limit?: number;
  /** Methods whose transient answers are retried (default GET, HEAD, OPTIONS, PUT, DELETE, TRACE, QUERY). */
  readonly methods?: ReadonlyArray<string>;
  /**
   * Also retry POST and PATCH when the request carries this header (`true`:
   * `Idempotency-Key`), which makes them idempotent (RFC 9110 §9.2.2). Off
   * by default.
   */
  readonly idempotencyKey?: boolean | string;
  /** Transient statuses (default 408, 429, 500, 502, 503, 504). */
  readonly statuses?: ReadonlyArray<number>;
  /**
   * Transient errors, by tag (default the connect, pool, read, write and
   * protocol failures, `CircuitOpen` and `NoHealthyUpstream`). A not-sent one
   * (`isNotSent`) is retried for any method; the others only for the
   * idempotent methods.
   */
  readonly errors?: ReadonlyArray<TransportError["_tag"]>;
  /**
   * The waits between attempts: any Effect `Schedule` (its input is the
   * outcome being retried; when it ends, retrying stops), or the default's
   * bounds. Default: exponential with full jitter, a random wait in
   * `[0, min(maxMs, baseMs·2^(n-1))]`, `baseMs` 200 and `maxMs` 10 000.
   */
  readonly backoff?: Schedule.Schedule<unknown, RetryOutcome> | { readonly baseMs?: number; readonly maxMs?: number };
  /** How `Retry-After` is honoured (seconds or HTTP-date); `false` ignores it. */
  readonly retryAfter?: false | RetryAfterPolicy;
  /**
   * The whole call's budget in ms, covering the waits and every attempt after
   * the first: no wait goes past it, and a later attempt is cut at it (a
   * `ReadTimeout`). The first attempt is left to the transport's and the
   * client's timeouts, so the success path arms no timer.
   */
  readonly budget?: number;
  /**
   * Buffer a one-shot (stream) body of up to this many bytes before the first
   * attempt, so it can be sent again (default 0: a stream that was read is
   * never sent again, and its request is not retried).
   */
  readonly replayBuffer?: number;
}

/**
 * One retry: which attempt's outcome was retried, why, and after what wait.
 *
 * @example
 * ```ts
 * import type { RetryRecord } from "@switchyard/switchyard";
 * const record: RetryRecord = { attempt: 1, reason: "status 503", status: 503, delayMs: 120, retryAfterMs: 100 };
 * ```
 */
export interface RetryRecord {
  /** The attempt whose outcome was retried (1 is the first attempt). */
  readonly attempt: number;
  /** `"status 503"`, or the error's tag (`"ConnectError"`). */
  readonly reason: string;
  /** The status, when a response was retried. */
  readonly status?: number;
  /** The error's tag, when an error was retried. */
  readonly error?: TransportError["_tag"];
  /** How long `retry` waited before the next attempt. */
  readonly delayMs: number;
  /** The wait the server (or a breaker, or a balancer) asked for, if any. */
  readonly retryAfterMs?: number;
}

/**
 * Why `retry` stopped although the last outcome was transient:
 * - `limit`: `limit` retries were made;
 * - `not-idempotent`: the method may not be sent again (and the failure is not a not-sent one);
 * - `body-not-replayable`: the body was a one-shot stream that was already read;
 * - `schedule-done`: the backoff schedule ended;
 * - `retry-after-too-long`: the wait asked for was over `retryAfter.max` (policy `"return"`);
 * - `budget`: the next wait would pass the call's budget;
 * - `circuit-open`: a circuit refused and gave no time to come back.
 *
 * @example
 * ```ts
 * import type { RetryStop } from "@switchyard/switchyard";
 * const stop: RetryStop = "body-not-replayable";
 * ```
 */
export type RetryStop =
  | "limit"
  | "not-idempotent"
  | "body-not-replayable"
  | "schedule-done"
  | "retry-after-too-long"
  | "budget"
  | "circuit-open";

/**
 * What `retryInfo` tells about a response or an error.
 *
 * @example
 * ```ts
 * import type { RetryInfo } from "@switchyard/switchyard";
 * const info: RetryInfo = { attempts: 1, retries: [], stopped: "not-idempotent" };
 * ```
 */
export interface RetryInfo {
  /** How many attempts were made. */
  readonly attempts: number;
  /** Each retry, in order. */
  readonly retries: ReadonlyArray<RetryRecord>;
  /** Why it stopped although the last outcome was transient; absent when it was not. */
  readonly stopped?: RetryStop;
}

const infos = new WeakMap<object, RetryInfo>();
const FIRST_TRY: RetryInfo = Object.freeze({ attempts: 1, retries: Object.freeze([]) });

/**
 * What happened to the call that gave `outcome` (a response or an error
 * from a client with `retry`): how many attempts, why each retry was made,
 * and why it stopped. An outcome that `retry` had nothing to say about (a
 * first attempt that was not transient) reports one attempt.
 *
 * @example
 * ```ts
 * import { Client, HandlerTransport, retry, retryInfo } from "@switchyard/switchyard";
 * let calls = 0;
 * const app = () => ++calls === 1 ? new Response("busy", { status: 503, headers: { "retry-after": "0" } }) : new Response("ok");
 * await using client = Client.make({ transport: HandlerTransport.make(app), plugins: [retry()] });
 * const response = await client.fetch("http://app.test/");
 * const info = retryInfo(response);
 * console.assert(info.attempts === 2 && info.retries[0]!.reason === "status 503");
 * await response.text();
 * ```
 */
export const retryInfo = (outcome: Response | unknown): RetryInfo =>
  (typeof outcome === "object" && outcome !== null ? infos.get(outcome) : undefined) ?? FIRST_TRY;

/** Records what happened on the final outcome. */
export const recordInfo = (outcome: object, info: RetryInfo): void => void infos.set(outcome, info);

const IDEMPOTENT = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE", "QUERY"];
const STATUSES = [408, 429, 500, 502, 503, 504];
const TRANSIENT_ERRORS: ReadonlyArray<TransportError["_tag"]> = [
  "ConnectError",
  "ConnectTimeout",
  "PoolTimeout",
  "ReadError",
  "WriteError",
  "ReadTimeout",
  "WriteTimeout",
  "RemoteProtocolError",
  "CircuitOpen",
  "NoHealthyUpstream",
];
const ALL_TAGS: ReadonlySet<string> = new Set([
  ...TRANSIENT_ERRORS,
  "LocalProtocolError",
  "ProxyError",
  "UnsupportedProtocol",
  "AppError",
  "RetryAfterTooLong",
]);

/**
 * The default backoff: exponential with full jitter (AWS's "full jitter"),
 * a uniformly random wait in `[0, min(maxMs, baseMs·2^(n-1))]`.
 */
const fullJitter = (baseMs: number, maxMs: number): Schedule.Schedule<unknown, RetryOutcome> =>
  Schedule.exponential(Duration.millis(baseMs)).pipe(
    Schedule.modifyDelay(({ duration }) =>
      Effect.map(Random.next, (r) => Duration.millis(r * Math.min(maxMs, Duration.toMillis(duration))))
    ),
  ) as Schedule.Schedule<unknown, RetryOutcome>;

/** The resolved options. */
export interface RetryConfig {
  readonly limit: number;
  readonly methods: ReadonlySet<string>;
  readonly keyHeader: string | undefined;
  readonly statuses: ReadonlySet<number>;
  readonly errors: ReadonlySet<string>;
  readonly schedule: Schedule.Schedule<unknown, RetryOutcome>;
  readonly retryAfter: { readonly max: number; readonly policy: "clamp" | "return" | "fail" } | undefined;
  readonly budget: number | undefined;
  readonly replayBuffer: number;
}

const ms = (what: string) => number(what, { min: 0 });
const positiveInteger = number("a whole number, 0 or more", { min: 0, integer: true });
const check = object({
  limit: optional(positiveInteger),
  methods: optional(array(string, "an array of method names")),
  idempotencyKey: optional(
    custom(
      (u): u is boolean | string => typeof u === "boolean" || (typeof u === "string" && u !== ""),
      "true, false or a header name",
    ),
  ),
  statuses: optional(array(number("a status code 100-599", { min: 100, integer: true }), "an array of status codes")),
  errors: optional(
    array(
      custom((u): u is TransportError["_tag"] => ALL_TAGS.has(u as string), "a TransportError tag"),
      "an array of error tags",
    ),
  ),
  backoff: optional(
    custom(
      (u): u is RetryOptions["backoff"] => Schedule.isSchedule(u) || (typeof u === "object" && u !== null),
      "a Schedule, or { baseMs, maxMs }",
    ),
  ),
  retryAfter: optional(
    custom((u): u is RetryOptions["retryAfter"] => u === false || typeof u === "object", "false or { max, policy }"),
  ),
  budget: optional(number("a positive number of milliseconds", { above: 0 })),
  replayBuffer: optional(positiveInteger),
});
const checkBounds = object({
  baseMs: optional(ms("milliseconds, 0 or more")),
  maxMs: optional(ms("milliseconds, 0 or more")),
});
const checkRetryAfter = object({
  max: optional(ms("milliseconds, 0 or more")),
  policy: optional(
    custom(
      (u): u is "clamp" | "return" | "fail" => u === "clamp" || u === "return" || u === "fail",
      '"clamp", "return" or "fail"',
    ),
  ),
});

/**
 * Checks and resolves `retry`'s options.
 * @throws {InvalidOptions} naming the bad option.
 */
export const resolveRetry = (options: RetryOptions | undefined): RetryConfig => {
  const o = check(options, "retry");
  const key = o.idempotencyKey === true ? "idempotency-key" : o.idempotencyKey || undefined;
  let schedule: Schedule.Schedule<unknown, RetryOutcome>;
  if (o.backoff !== undefined && Schedule.isSchedule(o.backoff)) schedule = o.backoff;
  else {
    const bounds = checkBounds(o.backoff, "retry.backoff");
    schedule = fullJitter(bounds.baseMs ?? 200, bounds.maxMs ?? 10_000);
  }
  let retryAfter: RetryConfig["retryAfter"];
  if (o.retryAfter !== false) {
    const r = checkRetryAfter(o.retryAfter, "retry.retryAfter");
    retryAfter = { max: r.max ?? 60_000, policy: r.policy ?? "return" };
  }
  if (typeof key === "string" && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(key)) {
    throw new InvalidOptions({
      option: "retry.idempotencyKey",
      received: JSON.stringify(key),
      expected: "a header name",
    });
  }
  return {
    limit: o.limit ?? 2,
    methods: new Set((o.methods ?? IDEMPOTENT).map((m) => m.toUpperCase())),
    keyHeader: key?.toLowerCase(),
    statuses: new Set(o.statuses ?? STATUSES),
    errors: new Set(o.errors ?? TRANSIENT_ERRORS),
    schedule,
    retryAfter,
    budget: o.budget,
    replayBuffer: o.replayBuffer ?? 0,
  };
};

/** Whether `outcome` is one `retry` looks at twice. On the success path: one Set lookup. */
export const isTransient = (config: RetryConfig, outcome: RetryOutcome): boolean =>
  outcome instanceof Response ? config.statuses.has(outcome.status) : config.errors.has(outcome._tag);

/** The state of one call across its attempts. */
export interface CallState {
  /** The request of the first attempt (after buffering, if any). */
  readonly request: Request;
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
