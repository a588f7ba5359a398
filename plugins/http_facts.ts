/**
 * Small facts about requests and responses that several plugins read: a
 * URL's server address and port (for spans), and how long a `Retry-After`
 * asks to wait (Effect's own parser: whole seconds or an HTTP-date).
 *
 * @module
 */
import { Duration, Result } from "effect";
import * as Headers from "effect/http/Headers";
import { originOf } from "../core/url_scan.ts";

/**
 * The server address and port of an absolute URL as OpenTelemetry wants
 * them: IPv6 without brackets, and the scheme's default port when none is
 * given. By one scan of the string (a `new URL` per span would cost more than
 * the rest of the span's attributes together).
 *
 * @example
 * ```ts
 * import { serverOf } from "./http_facts.ts";
 * serverOf("https://[::1]/x"); // { address: "::1", port: 443 }
 * ```
 */
export const serverOf = (url: string): { readonly address: string; readonly port: number | undefined } => {
  const origin = originOf(url);
  const start = origin.indexOf("//") + 2;
  const authority = origin.slice(start);
  const close = authority.startsWith("[") ? authority.indexOf("]") : -1;
  const colon = authority.indexOf(":", close < 0 ? 0 : close);
  const host = colon < 0 ? authority : authority.slice(0, colon);
  const address = close < 0 ? host : host.slice(1, -1);
  if (colon >= 0) return { address, port: Number(authority.slice(colon + 1)) };
  const port = url.startsWith("https:") ? 443 : url.startsWith("http:") ? 80 : undefined;
  return { address, port };
};

/**
 * How long `response`'s `Retry-After` asks to wait from `now` (ms since the
 * epoch), or `undefined` when it has none or an invalid one (which RFC 9110
 * §10.2.3 says to treat as absent). A past date is 0.
 *
 * @example
 * ```ts
 * import { retryAfterMs } from "./http_facts.ts";
 * retryAfterMs(new Response(null, { status: 503, headers: { "retry-after": "2" } }), Date.now()); // 2000
 * ```
 */
export const retryAfterMs = (response: Response, now: number): number | undefined => {
  const header = response.headers.get("retry-after");
  if (header === null) return undefined;
  const parsed = Headers.parseRetryAfter(header);
  return Result.isSuccess(parsed) ? Duration.toMillis(Headers.retryAfterDelay(parsed.success, now)) : undefined;
};
