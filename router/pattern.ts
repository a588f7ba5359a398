/**
 * One mount key, parsed. The rules are HTTPX 0.28.1's `URLPattern`
 * (`httpx/_utils.py`) to the letter, plus two extensions HTTPX lacks.
 *
 * | key                           | matches                                                        |
 * |-------------------------------|----------------------------------------------------------------|
 * | `""`, `all://`, `all://*`     | everything                                                     |
 * | `https://`                    | any https URL                                                  |
 * | `all://example.com`           | exactly that host (any scheme, any port)                       |
 * | `all://*.example.com`         | strict subdomains, at any depth (not `example.com`)            |
 * | `all://*example.com`          | the domain and its subdomains (not `wwwexample.com`)           |
 * | `https://example.com:8443`    | that port only; a default port (`:443` here) is dropped        |
 * | `all://*:1234`                | any host on port 1234                                          |
 * | `https://api.example.com/v2`  | extension: `/v2` and `/v2/...` but never `/v20`                |
 * | `all://10.0.0.0/8`            | extension: CIDR, any IPv4 host in 10.0.0.0/8 (IPv6: `[fe80::]/10`) |
 *
 * Default ports are those of HTTPX and WHATWG URLs (http 80, https 443, ws 80,
 * wss 443, ftp 21); `all://` has none, so `all://example.com:80` only matches
 * a URL that spells a non-default port 80 (`https://example.com:80`), as in HTTPX.
 * Hosts go through `URL` (lowercase, punycode, IPv4/IPv6 canonical form), so
 * `all://bücher.example` matches `http://xn--bcher-kva.example`.
 *
 * A path on a key whose host is an IP literal and whose path is one all-digit
 * segment (`/8`) is a CIDR prefix length; to mount the path `/8` on an IP host,
 * write `/8/`. HTTPX reads `all://10.0.0.0/8` as the single host `10.0.0.0`.
 *
 * **Priority** (most specific first), compared left to right, ties keep
 * insertion order: 1. a port beats no port; 2. longer host (as HTTPX counts it:
 * `*` counts, `*` alone is 0, IPv6 without brackets, IDN in Unicode);
 * 3. longer scheme (`all` is 0); 4. (extension) longer path; 5. (extension)
 * an exact host beats a CIDR range, a longer prefix beats a shorter one.
 * Slots 1-3 are HTTPX's key, so keys HTTPX accepts sort exactly as in HTTPX.
 * Path length comes after the scheme: `http://api.example.com` beats
 * `all://api.example.com/v2` even for `/v2/x`.
 *
 * @module
 */
import { InvalidOptions } from "../core/errors.ts";
import { REDACTED } from "../core/redact.ts";
import { cidrContains, cidrOf, type CidrRange, isIpLiteral, parseIpHost } from "./ip.ts";
import { unicodeLength } from "./punycode.ts";

export type { CidrRange } from "./ip.ts";

/**
 * How a pattern's host is compared with a URL's host: `any` (`*` or none),
 * `exact`, `subdomains` (`*.d`), `domain` (`*d`: `d` and its subdomains), `cidr`.
 *
 * @example
 * ```ts
 * import { type HostMatch, UrlPattern } from "@switchyard/switchyard/router";
 * const kind: HostMatch = UrlPattern.parse("all://*example.com").hostMatch; // "domain"
 * ```
 */
export type HostMatch = "any" | "exact" | "subdomains" | "domain" | "cidr";

/**
 * The sort key, compared left to right, smaller first: port (0 = has one),
 * minus host length, minus scheme length, minus path length, minus range bits
 * (129 for a non-CIDR host). The first three are HTTPX's key.
 *
 * @example
 * ```ts
 * import { type Priority, UrlPattern } from "@switchyard/switchyard/router";
 * const p: Priority = UrlPattern.parse("https://example.com:8443/v2").priority; // [0, -11, -5, -3, -129]
 * ```
 */
export type Priority = readonly [port: number, host: number, scheme: number, path: number, range: number];

/**
 * A parsed mount key. Build one with `UrlPattern.parse`.
 *
 * @example
 * ```ts
 * import { UrlPattern } from "@switchyard/switchyard/router";
 * const p: UrlPattern = UrlPattern.parse("all://*.example.com:8443");
 * p.hostMatch; // "subdomains"
 * p.port; // 8443
 * ```
 */
export interface UrlPattern {
  /** The key exactly as written. */
  readonly key: string;
  /** Lowercase scheme without `:`; `""` for any (`all://` or the empty key). */
  readonly scheme: string;
  /** The host as HTTPX keeps it: `""` for any, `*.example.com`, `*example.com`, `example.com`, `[::1]`, `10.0.0.0`. */
  readonly host: string;
  /** How `host` is matched. */
  readonly hostMatch: HostMatch;
  /** The host without its wildcard: the map key a router indexes it by (`example.com` for `*.example.com`). */
  readonly domain: string;
  /** The port, `undefined` for any (a default port is dropped, as HTTPX does). */
  readonly port: number | undefined;
  /** The path prefix, `""` for any; never ends with `/`. */
  readonly path: string;
  /** The range, when `hostMatch` is `"cidr"`. */
  readonly cidr: CidrRange | undefined;
  /** The sort key; see the module docs. */
  readonly priority: Priority;
}

/**
 * `UrlPattern`'s functions.
 *
 * @example
 * ```ts
 * import { UrlPattern, type UrlPatternStatics } from "@switchyard/switchyard/router";
 * const patterns: UrlPatternStatics = UrlPattern;
 * patterns.validate("all://*:1234"); // undefined: a good key
 * ```
 */
export interface UrlPatternStatics {
  /**
   * Parses a mount key.
   * @throws {InvalidOptions} when the key is malformed; the error names the key and says what to write.
   */
  parse(key: string): UrlPattern;
  /** The error `parse` would throw for `key`, or `undefined` when the key is good. Never throws. */
  validate(key: string): InvalidOptions | undefined;
  /** Whether `url` matches `pattern` (a plain check; `Router` indexes many patterns instead). */
  matches(pattern: UrlPattern, url: URL): boolean;
  /** Orders two patterns by priority (negative: `a` first); `0` means insertion order decides. */
  compare(a: UrlPattern, b: UrlPattern): number;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443, ws: 80, wss: 443, ftp: 21 };
const SCHEME = /^[a-z][a-z\d+.-]*$/;
const NUMERIC = /^[\d.]+$/;
const EXAMPLES = '"all://", "https://", "all://*.example.com", "https://example.com:8443"';

/** The key as written, userinfo hidden (redactUrl would also rewrite it into a URL). */
const redactKey = (key: string): string => key.replace(/^((?:[^/?#]*:\/\/)?)[^/?#]*@/, `$1${REDACTED}@`);

/** The error for a bad key: names the key and says what to write instead. */
const bad = (key: string, expected: string): InvalidOptions => {
  const shown = JSON.stringify(redactKey(key));
  return new InvalidOptions({ option: `mounts[${shown}]`, received: shown, expected });
};

/** Normalises a hostname through `URL` with a special scheme (lowercase, punycode, IP canonical form). */
const normaliseHost = (host: string): string | undefined => {
  try {
    const url = new URL(`http://${host}/`);
    return url.hostname === "" ? undefined : url.hostname;
  } catch {
    return undefined;
  }
};

/** HTTPX's `len(url.host)`: IPv6 without brackets, IDN in Unicode code points. */
const hostLength = (prefix: string, domain: string): number => {
  if (domain.startsWith("[")) return prefix.length + domain.length - 2;
  return prefix.length + (domain.includes("xn--") ? unicodeLength(domain) : domain.length);
};

const parseKey = (key: string): UrlPattern | InvalidOptions => {
  if (typeof key !== "string") {
    return new InvalidOptions({
      option: "mounts",
      received: `a ${key === null ? "null" : typeof key} key`,
      expected: `a mount key string such as ${EXAMPLES}`,
    });
  }
  if (key === "") return build(key, "", "any", "", undefined, "", undefined);
  const sep = key.indexOf("://");
  if (sep < 0) {
    const name = key.endsWith(":") ? key.slice(0, -1) : key;
    return bad(
      key,
      SCHEME.test(name.toLowerCase())
        ? `"${name}://" (a key is a URL pattern, not a bare scheme)`
        : `a URL pattern such as ${EXAMPLES}`,
    );
  }
  const scheme = key.slice(0, sep).toLowerCase();
  if (!SCHEME.test(scheme)) return bad(key, `a scheme such as "http", "https" or "all" before "://"`);
  const rest = key.slice(sep + 3);
  if (/[?#]/.test(rest)) return bad(key, "a key without a query or fragment (mounts match scheme, host, port, path)");
  const slash = rest.indexOf("/");
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const rawPath = slash < 0 ? "" : rest.slice(slash);
  if (authority.includes("@")) return bad(key, "a key without credentials (userinfo is not part of a mount key)");

  // Split host and port; an IPv6 host must be in brackets.
  let hostText = authority;
  let portText = "";
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    const after = close < 0 ? "" : authority.slice(close + 1);
    if (close < 0 || (after !== "" && !after.startsWith(":"))) return bad(key, "an IPv6 host in brackets: [::1]");
    hostText = authority.slice(0, close + 1);
    portText = after.slice(1);
  } else {
    const colon = authority.lastIndexOf(":");
    if (colon >= 0) [hostText, portText] = [authority.slice(0, colon), authority.slice(colon + 1)];
    if (hostText.includes(":")) return bad(key, "an IPv6 host in brackets, e.g. all://[::1]:8080");
  }
  let port: number | undefined;
  if (portText !== "") {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port <= 65535)) return bad(key, "a port from 0 to 65535");
    if (DEFAULT_PORTS[scheme] === port) port = undefined;
  }
  const anyScheme = scheme === "all" ? "" : scheme;

  // Host: any (`""` or `*`), wildcard, or exact (normalised through URL).
  let hostMatch: HostMatch = "any";
  let domain = "";
  if (hostText.startsWith("*") && hostText !== "*") {
    const prefix = hostText.startsWith("*.") ? "*." : "*";
    const raw = hostText.slice(prefix.length);
    // A numeric tail (`*.0.1`) stays text: URL would read it as an IPv4 address. HTTPX matches it as text too.
    const name = NUMERIC.test(raw) ? raw : raw.includes("*") || raw.includes("[") ? undefined : normaliseHost(raw);
    if (!name || name.startsWith(".")) {
      return bad(
        key,
        `a wildcard followed by a domain: "*.example.com" (subdomains) or "*example.com" (with the domain)`,
      );
    }
    hostMatch = prefix === "*." ? "subdomains" : "domain";
    domain = name;
  } else if (hostText !== "" && hostText !== "*") {
    if (hostText.includes("*")) return bad(key, `"*" only at the start of the host, e.g. "all://*.example.com"`);
    const host = normaliseHost(hostText);
    if (host === undefined) return bad(key, "a valid host name or IP address");
    const isIp = host.startsWith("[") || isIpLiteral(host);
    if (isIp && /^\/\d+$/.test(rawPath)) {
      const cidr = cidrOf(host, Number(rawPath.slice(1)));
      if (!cidr) return bad(key, `a prefix length from 0 to ${host.startsWith("[") ? 128 : 32} after the address`);
      return build(key, anyScheme, "cidr", cidr.host, port, "", cidr.range);
    }
    hostMatch = "exact";
    domain = host;
  }
  const path = pathPrefix(rawPath);
  if (path === undefined) return bad(key, "a valid path prefix");
  return build(key, anyScheme, hostMatch, domain, port, path, undefined);
};

/** A key's path as a prefix without a trailing `/`, or undefined when it does not parse. */
const pathPrefix = (rawPath: string): string | undefined => {
  if (rawPath === "" || rawPath === "/") return "";
  try {
    // Same percent-encoding and dot-segment rules as the request URL's pathname.
    return new URL(rawPath, "http://h").pathname.replace(/\/+$/, "");
  } catch {
    return undefined;
  }
};

/** The pattern; `host` is derived from `hostMatch` and `domain` (`*.` or `*` before a wildcard's domain). */
const build = (
  key: string,
  scheme: string,
  hostMatch: HostMatch,
  domain: string,
  port: number | undefined,
  path: string,
  cidr: CidrRange | undefined,
): UrlPattern => {
  const prefix = hostMatch === "subdomains" ? "*." : hostMatch === "domain" ? "*" : "";
  const priority: Priority = [
    port === undefined ? 1 : 0,
    hostMatch === "any" ? 0 : -hostLength(prefix, domain),
    -scheme.length,
    -path.length,
    -(cidr ? cidr.bits : 129),
  ];
  return { key, scheme, host: prefix + domain, hostMatch, domain, port, path, cidr, priority };
};

/** `path` is `prefix` or goes on below it (segment boundary: `/v2` matches `/v2/x`, not `/v20`). */
const pathMatches = (path: string, prefix: string): boolean =>
  path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 47);

/** Whether `host` ends with `.domain`, with at least one character before the dot (HTTPX's `.+\.`). */
const isSubdomain = (host: string, domain: string): boolean =>
  host.length > domain.length + 1 && host.endsWith(domain) && host.charCodeAt(host.length - domain.length - 1) === 46;

const scratch = new Uint32Array(4);

const matches = (p: UrlPattern, url: URL): boolean => {
  if (p.scheme !== "" && url.protocol !== `${p.scheme}:`) return false;
  if (p.port !== undefined && url.port !== String(p.port)) return false;
  if (p.path !== "" && !pathMatches(url.pathname, p.path)) return false;
  const host = url.hostname;
  switch (p.hostMatch) {
    case "any":
      return true;
    case "exact":
      return host === p.domain;
    case "subdomains":
      return isSubdomain(host, p.domain);
    case "domain":
      return host === p.domain || isSubdomain(host, p.domain);
    case "cidr": {
      const family = parseIpHost(host, scratch);
      return family !== 0 && cidrContains(p.cidr!, family, scratch);
    }
  }
};

const compare = (a: UrlPattern, b: UrlPattern): number => {
  for (let i = 0; i < 5; i++) {
    const d = a.priority[i] - b.priority[i];
    if (d !== 0) return d;
  }
  return 0;
};

/**
 * Parses, checks and orders mount keys. `parse` throws a typed
 * `InvalidOptions`; `validate` returns it instead, for callers that must not throw.
 *
 * @example
 * ```ts
 * import { UrlPattern } from "@switchyard/switchyard/router";
 * const p = UrlPattern.parse("all://*example.com");
 * UrlPattern.matches(p, new URL("https://www.example.com/")); // true
 * UrlPattern.matches(p, new URL("https://wwwexample.com/")); // false
 * UrlPattern.validate("http")?.message; // 'Invalid option `mounts["http"]`: got "http"; expected "http://" ...'
 * ```
 */
export const UrlPattern: UrlPatternStatics = {
  parse: (key: string): UrlPattern => {
    const result = parseKey(key);
    if (result instanceof InvalidOptions) throw result;
    return result;
  },
  validate: (key: string): InvalidOptions | undefined => {
    const result = parseKey(key);
    return result instanceof InvalidOptions ? result : undefined;
  },
  matches,
  compare,
};
