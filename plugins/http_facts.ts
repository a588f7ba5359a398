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
 * `scheme://host[:port]` of an absolute URL as a `Request` normalises it
 * (lower-case scheme and host, no userinfo), by one scan instead of a
 * `new URL` (which costs far more than the rest of a breaker's work).
 *
 * @example
 * ```ts
 * import { originOf } from "./http_facts.ts";
 * originOf("https://api.test:8443/a/b?c"); // "https://api.test:8443"
 * ```
 */
export const originOf = (url: string): string => {
  const start = url.indexOf("//");
  if (start < 0) return url;
  for (let i = start + 2; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) return url.slice(0, i);
  }
  return url;
};

/**
 * The server address and port of a URL as OpenTelemetry wants them: IPv6
 * without brackets, and the scheme's default port when none is given.
 *
 * @example
 * ```ts
 * import { serverOf } from "./http_facts.ts";
 * serverOf(new URL("https://[::1]/")); // { address: "::1", port: 443 }
 * ```
 */
export const serverOf = (url: URL): { readonly address: string; readonly port: number | undefined } => {
  const host = url.hostname;
  const address = host.startsWith("[") ? host.slice(1, -1) : host;
  const port = url.port !== ""
    ? Number(url.port)
    : url.protocol === "https:"
    ? 443
    : url.protocol === "http:"
    ? 80
    : undefined;
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
