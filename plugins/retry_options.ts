/**
 * `retry`'s options: what a user may say, checked and resolved once at
 * construction (defaults filled in, a bad option refused naming itself).
 *
 * @module
 */
import { Duration, Effect, Random, Schedule } from "effect";
import { InvalidOptions, type TransportError } from "../core/errors.ts";
import { array, custom, number, object, optional, string } from "../core/options.ts";

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
