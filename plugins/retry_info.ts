/**
 * What `retry` says about a call once it is over: attempts, why each retry
 * was made, and why it stopped (`retryInfo`), kept on the final response or
 * error itself (a WeakMap entry, written only when there is something to say).
 *
 * @module
 */
import type { TransportError } from "../core/errors.ts";

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
