/**
 * The parts of an absolute URL that hot paths need, found by one scan of the
 * string instead of a `new URL` (which costs more than a circuit breaker's or
 * an HTTP/2 engine's whole per-request work): where the authority ends, and
 * the origin without userinfo. Shared by plugins (circuit keys, balancing)
 * and transports (the HTTP/2 engine's per-origin protocol), so it sits on the
 * ground floor.
 *
 * @module
 */

/**
 * Where the path (or query, or fragment) of an absolute URL starts: the end
 * of its authority.
 *
 * @example
 * ```ts
 * import { authorityEnd } from "./url_scan.ts";
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
 * import { originOf } from "./url_scan.ts";
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
