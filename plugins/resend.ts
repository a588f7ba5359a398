/**
 * How `retry` and `balance` tell the plugins inside them (`tracing`) that a
 * request is a resend: an annotation on the Request object itself, kept in a
 * WeakMap (no header on the wire, nothing to strip, nothing kept alive), set
 * only on second and later attempts, so a first attempt costs nothing.
 *
 * @module
 */

/**
 * A resend: how many times the request was sent before, and why it was sent again.
 *
 * @example
 * ```ts
 * import type { Resend } from "./resend.ts";
 * const resend: Resend = { count: 1, reason: "status 503" };
 * ```
 */
export interface Resend {
  /** Sends before this one (OpenTelemetry's `http.request.resend_count`). */
  readonly count: number;
  /** Why: `"status 503"`, `"ConnectError"`, `"failover after ConnectError"`, ... */
  readonly reason: string;
}

const resends = new WeakMap<Request, Resend>();

/**
 * Marks `request` as the `count`-th resend, for `reason`.
 *
 * @example
 * ```ts
 * import { markResend, resendOf } from "./resend.ts";
 * const request = new Request("http://x.test/");
 * markResend(request, 1, "status 503");
 * resendOf(request)?.count; // 1
 * ```
 */
export const markResend = (request: Request, count: number, reason: string): void => {
  resends.set(request, { count, reason });
};

/**
 * The resend mark of `request`, or `undefined` for a first attempt.
 *
 * @example
 * ```ts
 * import { resendOf } from "./resend.ts";
 * resendOf(new Request("http://x.test/")); // undefined
 * ```
 */
export const resendOf = (request: Request): Resend | undefined => resends.get(request);
