/**
 * `retry`: sends a request again after a transient answer or failure, only
 * when that is safe (the method, the body, the server's `Retry-After`, the
 * call's budget), and says what it did (`retryInfo`).
 *
 * One definition, two lanes: the retry loop is one Effect (`loop`), which the
 * Effect lane runs in the caller's fiber and the Promise lane runs only once
 * a first attempt came back transient. So the success path of `client.fetch`
 * is the next transport's `fetch` plus one Set lookup: no Effect run, no
 * timer, no body copy. Waits use Effect's `Clock` (a `TestClock` drives them
 * on the Effect lane).
 *
 * @module
 */
import type { Plugin } from "../core/plugin.ts";
import { lazyPlugin } from "./lazy.ts";
import { resolveRetry, type RetryOptions } from "./retry_options.ts";

/**
 * A plugin that retries transient answers (408, 429, 500, 502, 503, 504)
 * and failures, safely:
 * - a not-sent failure (`ConnectError`, `ConnectTimeout`, `PoolTimeout`,
 *   `CircuitOpen` with a time to come back, `NoHealthyUpstream`) for any
 *   method; a maybe-sent one (`ReadError`, `ReadTimeout`,
 *   `RemoteProtocolError`, ...) and a transient status only for idempotent
 *   methods, plus POST and PATCH with an `Idempotency-Key` when
 *   `idempotencyKey` is on;
 * - a body only from what it was made from, never a one-shot stream that was
 *   read (unless `replayBuffer` buffered it); otherwise the original outcome
 *   comes back, and `retryInfo` says why;
 * - `Retry-After` (seconds or HTTP-date) honoured as the least wait, up to
 *   `retryAfter.max`, beyond which the policy clamps, returns or fails;
 * - never a wait past the call's `budget`.
 *
 * Put `tracing` after it (inside it) to get one span per attempt, each with
 * its `http.request.resend_count`.
 *
 * @example Retrying a 503 that says when to come back
 * ```ts
 * import { Client, HandlerTransport, retry, retryInfo } from "@switchyard/switchyard";
 * let calls = 0;
 * const app = () => ++calls < 3 ? new Response(null, { status: 503, headers: { "retry-after": "0" } }) : new Response("ok");
 * await using client = Client.make({ transport: HandlerTransport.make(app), plugins: [retry({ backoff: { baseMs: 1 } })] });
 * const response = await client.fetch("http://app.test/");
 * console.assert((await response.text()) === "ok" && retryInfo(response).attempts === 3);
 * ```
 * @throws {InvalidOptions} naming a bad option.
 */
export const retry = (options?: RetryOptions): Plugin => {
  const config = resolveRetry(options);
  // The loop loads with the first request (plugins/lazy.ts).
  return lazyPlugin("retry", () => import("./retry_lanes.ts").then((lanes) => lanes.retryLanes(config)));
};
