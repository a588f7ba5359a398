/**
 * The cache's decisions, in one place for both lanes: pure functions of the
 * headers and of the time they are given (the Effect lane reads Effect's
 * `Clock`, the Promise lane the `now` it was given; neither reads a clock
 * here). RFC 9111 for a private cache, plus RFC 5861 (`stale-while-revalidate`,
 * `stale-if-error`):
 *
 * - freshness lifetime: `max-age`, else `Expires` − `Date`, else 10 % of
 *   `Date` − `Last-Modified` for the statuses that are heuristically
 *   cacheable (or with `public`) — §4.2.1, §4.2.2 (`s-maxage` is a shared
 *   cache's, ignored);
 * - age: the corrected initial age from `Age`, `Date` and the request and
 *   response times, plus the time resident — §4.2.3;
 * - what may be stored — §3; what a request may be answered with — §4, §5.2.1.
 *
 * All times are milliseconds.
 *
 * @module
 */
import { deltaMs, type Directives, NO_DIRECTIVES, parseCacheControl, parseHttpDate } from "./cache_control.ts";

/** Statuses a response may be stored for without explicit freshness (RFC 9110 §15.1; 206 is not stored here). */
const HEURISTIC = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);
/** Statuses the cache understands (for `must-understand`). */
const UNDERSTOOD = new Set([200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501]);
/** The errors `stale-if-error` covers, besides a transport failure (RFC 5861 §4). */
const ERROR_STATUSES = new Set([500, 502, 503, 504]);

/**
 * What the cache knows about a stored response's freshness and validation,
 * derived from its headers when it is stored and again after a `304`.
 *
 * @example
 * ```ts
 * import { freshnessOf, type Freshness } from "./cache_policy.ts";
 * const f: Freshness = freshnessOf(200, new Headers({ "cache-control": "max-age=60" }), 0, 0, 0.1);
 * f.lifetime; // 60000
 * ```
 */
export interface Freshness {
  /** The freshness lifetime. */
  readonly lifetime: number;
  /** The corrected initial age (RFC 9111 §4.2.3). */
  readonly initialAge: number;
  /** When the response was received. */
  readonly responseTime: number;
  /** `no-cache`: every use must be validated first. */
  readonly noCache: boolean;
  /** `must-revalidate` (or `no-cache`): never used stale, not even on an error. */
  readonly mustRevalidate: boolean;
  /** The `stale-while-revalidate` window (0: none). */
  readonly staleWhileRevalidate: number;
  /** The `stale-if-error` window (0: none). */
  readonly staleIfError: number;
  /** The validators, for a conditional request. */
  readonly etag: string | null;
  readonly lastModified: string | null;
}

const window = (directives: Directives, name: string): number => {
  const ms = deltaMs(directives, name);
  return ms === undefined || Number.isNaN(ms) || ms === Infinity ? 0 : ms;
};

/**
 * The freshness of a response received at `responseTime` for a request sent
 * at `requestTime`; `heuristic` is the fraction of `Date` − `Last-Modified`
 * used when nothing explicit says how long it is fresh.
 *
 * @example
 * ```ts
 * import { freshnessOf } from "./cache_policy.ts";
 * const headers = new Headers({ date: "Sun, 06 Nov 1994 08:49:37 GMT", expires: "Sun, 06 Nov 1994 08:50:37 GMT" });
 * freshnessOf(200, headers, 0, 0, 0.1).lifetime; // 60000
 * ```
 */
export const freshnessOf = (
  status: number,
  headers: Headers,
  requestTime: number,
  responseTime: number,
  heuristic: number,
): Freshness => {
  const cc = parseCacheControl(headers.get("cache-control"));
  const date = parseHttpDate(headers.get("date")) ?? responseTime;
  let lifetime = 0;
  const maxAge = deltaMs(cc, "max-age");
  const expires = headers.get("expires");
  if (maxAge !== undefined) lifetime = Number.isNaN(maxAge) || maxAge === Infinity ? 0 : maxAge;
  else if (expires !== null) lifetime = Math.max(0, (parseHttpDate(expires) ?? date) - date);
  else if (HEURISTIC.has(status) || cc["public"] !== undefined) {
    const modified = parseHttpDate(headers.get("last-modified"));
    if (modified !== undefined && modified < date) lifetime = Math.floor((date - modified) * heuristic);
  }
  const ageHeader = headers.get("age");
  const ageValue = ageHeader !== null && /^\s*\d+\s*$/.test(ageHeader) ? Number(ageHeader) * 1000 : 0;
  const apparentAge = Math.max(0, responseTime - date);
  const correctedAge = ageValue + (responseTime - requestTime);
  const noCache = cc["no-cache"] !== undefined;
  return {
    lifetime,
    initialAge: Math.max(apparentAge, correctedAge),
    responseTime,
    noCache,
    mustRevalidate: noCache || cc["must-revalidate"] !== undefined,
    staleWhileRevalidate: window(cc, "stale-while-revalidate"),
    staleIfError: window(cc, "stale-if-error"),
    etag: headers.get("etag"),
    lastModified: headers.get("last-modified"),
  };
};

/**
 * Why a response is not stored (`cache-status` `detail`), or `undefined`
 * when it may be. `authorized` tells whether the request carried
 * credentials the cache was not asked to key by.
 *
 * @example
 * ```ts
 * import { freshnessOf, refusalToStore } from "./cache_policy.ts";
 * const headers = new Headers({ "cache-control": "no-store" });
 * refusalToStore(200, headers, freshnessOf(200, headers, 0, 0, 0.1)); // "no-store"
 * ```
 */
export const refusalToStore = (status: number, headers: Headers, freshness: Freshness): string | undefined => {
  if (status < 200 || status === 206 || status === 304) return "status";
  const cc = parseCacheControl(headers.get("cache-control"));
  const mustUnderstand = cc["must-understand"] !== undefined;
  if (mustUnderstand && !UNDERSTOOD.has(status)) return "must-understand";
  // RFC 9111 §5.2.2.3: `no-store` is there for caches that do not know the status; this one does.
  if (cc["no-store"] !== undefined && !mustUnderstand) return "no-store";
  if (varyNames(headers) === "*") return "vary-star";
  // Never fresh and nothing to validate it with: storing it could never answer a request.
  const usable = freshness.lifetime > 0 || freshness.etag !== null || freshness.lastModified !== null ||
    freshness.staleIfError > 0;
  const explicit = cc["max-age"] !== undefined || headers.has("expires") || cc["public"] !== undefined ||
    cc["private"] !== undefined;
  if (!usable || (!explicit && !HEURISTIC.has(status))) return "not-cacheable";
  return undefined;
};

/**
 * The request header names a response varies on (lowercase), `"*"`, or an
 * empty list.
 *
 * @example
 * ```ts
 * import { varyNames } from "./cache_policy.ts";
 * varyNames(new Headers({ vary: "Accept-Language, accept" })); // ["accept-language", "accept"]
 * ```
 */
export const varyNames = (headers: Headers): ReadonlyArray<string> | "*" => {
  const vary = headers.get("vary");
  if (vary === null) return [];
  const names = vary.split(",").map((name) => name.trim().toLowerCase()).filter((name) => name !== "");
  return names.includes("*") ? "*" : names;
};

/**
 * What a request's own directives ask of the cache (RFC 9111 §5.2.1;
 * `Pragma: no-cache` counts as `no-cache` when there is no `Cache-Control`).
 *
 * @example
 * ```ts
 * import { requestRules } from "./cache_policy.ts";
 * requestRules(new Headers({ "cache-control": "max-stale=30, only-if-cached" })).maxStale; // 30000
 * ```
 */
export interface RequestRules {
  readonly noStore: boolean;
  readonly noCache: boolean;
  readonly onlyIfCached: boolean;
  readonly maxAge: number | undefined;
  readonly maxStale: number | undefined;
  readonly minFresh: number | undefined;
  readonly staleIfError: number;
}

/** The rules of a request without cache directives. */
export const NO_RULES: RequestRules = Object.freeze({
  noStore: false,
  noCache: false,
  onlyIfCached: false,
  maxAge: undefined,
  maxStale: undefined,
  minFresh: undefined,
  staleIfError: 0,
});

/** Parses a request's cache directives; the shared empty rules when it has none (the common case). */
export const requestRules = (headers: Headers): RequestRules => {
  const value = headers.get("cache-control");
  if (value === null) {
    const pragma = headers.get("pragma");
    return pragma !== null && /(^|,)\s*no-cache\s*(,|$)/i.test(pragma) ? { ...NO_RULES, noCache: true } : NO_RULES;
  }
  const cc = value === "" ? NO_DIRECTIVES : parseCacheControl(value);
  const finite = (name: string): number | undefined => {
    const ms = deltaMs(cc, name);
    return ms === undefined ? undefined : Number.isNaN(ms) ? 0 : ms;
  };
  return {
    noStore: cc["no-store"] !== undefined,
    noCache: cc["no-cache"] !== undefined,
    onlyIfCached: cc["only-if-cached"] !== undefined,
    maxAge: finite("max-age"),
    maxStale: cc["max-stale"] === undefined ? undefined : deltaMs(cc, "max-stale")! || 0,
    minFresh: finite("min-fresh"),
    staleIfError: window(cc, "stale-if-error"),
  };
};

/**
 * How a stored response may be used for a request, at `now`:
 * - `fresh`: as is;
 * - `stale`: stale, because the request allows it (`max-stale`);
 * - `revalidate-in-background`: stale within `stale-while-revalidate`: answer with it and revalidate;
 * - `validate`: only after a conditional request (`fwd` says why, for `cache-status`);
 * - `unavailable`: `only-if-cached` and nothing usable (a `504`).
 *
 * @example
 * ```ts
 * import { decide, freshnessOf, requestRules } from "./cache_policy.ts";
 * const f = freshnessOf(200, new Headers({ "cache-control": "max-age=60" }), 0, 0, 0.1);
 * decide(f, requestRules(new Headers()), 30_000).kind; // "fresh"
 * decide(f, requestRules(new Headers()), 90_000).kind; // "validate"
 * ```
 */
export type Use =
  | { readonly kind: "fresh" | "stale" | "revalidate-in-background"; readonly ttl: number }
  | { readonly kind: "validate"; readonly fwd: "request" | "stale" }
  | { readonly kind: "unavailable" };

/** The age of a stored response at `now`. */
export const currentAge = (f: Freshness, now: number): number => f.initialAge + Math.max(0, now - f.responseTime);

/** See `Use`. */
export const decide = (f: Freshness, rules: RequestRules, now: number): Use => {
  const age = currentAge(f, now);
  const left = f.lifetime - age;
  const ttl = Math.floor(left / 1000);
  const ageOk = rules.maxAge === undefined || age <= rules.maxAge;
  if (rules.noCache || f.noCache) {
    return rules.onlyIfCached ? UNAVAILABLE : { kind: "validate", fwd: rules.noCache ? "request" : "stale" };
  }
  if (left > 0) {
    if (ageOk && (rules.minFresh === undefined || left >= rules.minFresh)) return { kind: "fresh", ttl };
    return rules.onlyIfCached ? UNAVAILABLE : VALIDATE_REQUEST;
  }
  if (!f.mustRevalidate && ageOk && rules.maxStale !== undefined && -left <= rules.maxStale) {
    return { kind: "stale", ttl };
  }
  if (rules.onlyIfCached) return UNAVAILABLE;
  if (!f.mustRevalidate && f.staleWhileRevalidate > 0 && -left <= f.staleWhileRevalidate) {
    return { kind: "revalidate-in-background", ttl };
  }
  return VALIDATE_STALE;
};

const UNAVAILABLE: Use = { kind: "unavailable" };
const VALIDATE_REQUEST: Use = { kind: "validate", fwd: "request" };
const VALIDATE_STALE: Use = { kind: "validate", fwd: "stale" };

/**
 * Whether a stored response may stand in for a failed validation (a
 * transport error, or `status` 500, 502, 503, 504): `stale-if-error` from
 * the response or the request covers how stale it is, and nothing forbids
 * using it stale (`must-revalidate`, `no-cache`).
 *
 * @example
 * ```ts
 * import { freshnessOf, requestRules, staleOnError } from "./cache_policy.ts";
 * const f = freshnessOf(200, new Headers({ "cache-control": "max-age=1, stale-if-error=60" }), 0, 0, 0.1);
 * staleOnError(f, requestRules(new Headers()), 30_000, 503); // true
 * ```
 */
export const staleOnError = (f: Freshness, rules: RequestRules, now: number, status?: number): boolean => {
  if (status !== undefined && !ERROR_STATUSES.has(status)) return false;
  if (f.mustRevalidate) return false;
  const staleBy = currentAge(f, now) - f.lifetime;
  return staleBy <= Math.max(f.staleIfError, rules.staleIfError) && (f.staleIfError > 0 || rules.staleIfError > 0);
};

/** Hop-by-hop and per-message headers, never stored (RFC 9111 §3.1), plus `set-cookie`: a cookie is set once. */
const NOT_STORED = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authentication-info",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "age",
  "set-cookie",
]);

/**
 * The headers to store of a response (or to take from a `304`, which also
 * never updates `content-length`), as pairs for `new Headers(...)`.
 *
 * @example
 * ```ts
 * import { storedHeaders } from "./cache_policy.ts";
 * storedHeaders(new Headers({ etag: '"a"', connection: "x-y", "x-y": "1", age: "3" })); // [["etag", '"a"']]
 * ```
 */
export const storedHeaders = (headers: Headers, except?: ReadonlySet<string>): Array<[string, string]> => {
  const listed = headers.get("connection")?.split(",").map((name) => name.trim().toLowerCase()) ?? [];
  const out: Array<[string, string]> = [];
  for (const [name, value] of headers) {
    if (NOT_STORED.has(name) || listed.includes(name) || except?.has(name)) continue;
    out.push([name, value]);
  }
  return out;
};

const NOT_UPDATED = new Set(["content-length"]);

/**
 * A stored response's headers updated by a `304`'s (RFC 9111 §3.2, §4.3.4):
 * every header the `304` has replaces the stored one, except those never
 * stored and `content-length`.
 *
 * @example
 * ```ts
 * import { mergeHeaders } from "./cache_policy.ts";
 * mergeHeaders([["etag", '"a"'], ["x", "1"]], new Headers({ x: "2", date: "Sun, 06 Nov 1994 08:49:37 GMT" }));
 * // [["etag", '"a"'], ["x", "2"], ["date", "Sun, 06 Nov 1994 08:49:37 GMT"]]
 * ```
 */
export const mergeHeaders = (stored: ReadonlyArray<[string, string]>, update: Headers): Array<[string, string]> => {
  const fresh = new Map(storedHeaders(update, NOT_UPDATED));
  const out = stored.map(([name, value]): [string, string] => [name, fresh.get(name) ?? value]);
  for (const [name, value] of fresh) if (!stored.some(([n]) => n === name)) out.push([name, value]);
  return out;
};

/**
 * Whether a `304`'s validator lets it update a stored response (RFC 9111
 * §4.3.4): the same entity tag (weak comparison) when the `304` has one; a
 * `304` without one updates the response the request was made for.
 *
 * @example
 * ```ts
 * import { validatorMatches } from "./cache_policy.ts";
 * validatorMatches('"v1"', new Headers({ etag: 'W/"v1"' })); // true
 * validatorMatches('"v1"', new Headers({ etag: '"v2"' })); // false
 * ```
 */
export const validatorMatches = (storedEtag: string | null, notModified: Headers): boolean => {
  const etag = notModified.get("etag");
  if (etag === null) return true;
  if (storedEtag === null) return false;
  const weak = (tag: string) => tag.trim().replace(/^W\//, "");
  return weak(etag) === weak(storedEtag);
};
