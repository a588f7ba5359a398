/**
 * Small facts about requests and responses that several plugins read: a
 * URL's origin without `new URL` (on the hot path of `circuitBreaker`), its
 * server address and port (for spans), and how long a `Retry-After` asks to
 * wait (Effect's own parser: whole seconds or an HTTP-date).
 *
 * @module
 */
import { Duration, Result } from "effect";
import * as Headers from "effect/http/Headers";

/**
 * Where the path (or query, or fragment) of an absolute URL starts: the end
 * of its authority.
 *
 * @example
 * ```ts
 * import { authorityEnd } from "./http_facts.ts";
 * authorityEnd("https://api.test:8443/a/b?c"); // 21
 * ```
 */
export const authorityEnd = (url: string): number => {
  const start = url.indexOf("//");
  if (start < 0) return url.length;
  for (let i = start + 2; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) return i;
  }
  return url.length;
};

/**
 * `scheme://host[:port]` of an absolute URL as a `Request` normalises it
 * (lower-case scheme and host), by one scan instead of a `new URL` (which
 * costs far more than the rest of a breaker's work). Userinfo is left out:
 * a Request keeps `user:password@` in its URL, and an origin is a key that
 * errors, spans and health endpoints show.
 *
 * @example
 * ```ts
 * import { originOf } from "./http_facts.ts";
 * originOf("https://api.test:8443/a/b?c"); // "https://api.test:8443"
 * originOf("https://ada:s3cret@api.test/"); // "https://api.test"
 * ```
 */
export const originOf = (url: string): string => {
  const start = url.indexOf("//");
  if (start < 0) return url;
  const end = authorityEnd(url);
  const at = url.lastIndexOf("@", end - 1);
  return at < start ? url.slice(0, end) : url.slice(0, start + 2) + url.slice(at + 1, end);
};

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
