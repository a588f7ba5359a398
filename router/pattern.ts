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
import { domainToUnicode } from "node:url";
import { InvalidOptions } from "../core/errors.ts";
import { REDACTED } from "../core/redact.ts";

/**
 * How a pattern's host is compared with a URL's host: `any` (`*` or none),
 * `exact`, `subdomains` (`*.d`), `domain` (`*d`: `d` and its subdomains), `cidr`.
 *
 * @example
 * ```ts
 * import { type HostMatch, UrlPattern } from "@switchyard/switchyard";
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
 * import { type Priority, UrlPattern } from "@switchyard/switchyard";
 * const p: Priority = UrlPattern.parse("https://example.com:8443/v2").priority; // [0, -11, -5, -3, -129]
 * ```
 */
export type Priority = readonly [port: number, host: number, scheme: number, path: number, range: number];

/**
 * A parsed mount key. Build one with `UrlPattern.parse`.
 *
 * @example
 * ```ts
 * import { UrlPattern } from "@switchyard/switchyard";
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
 * import { UrlPattern, type UrlPatternStatics } from "@switchyard/switchyard";
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
const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;
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
  const text = domain.includes("xn--") ? domainToUnicode(domain) || domain : domain;
  let n = 0;
  for (const _ of text) n++;
  return prefix.length + n;
};

const parseKey = (key: string): UrlPattern | InvalidOptions => {
  if (key === "") return build(key, "", "", "any", "", undefined, "", undefined);
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

  // Host: any, wildcard, or exact (normalised through URL).
  if (hostText === "" || hostText === "*") {
    return withPath(key, anyScheme, "", "any", "", port, rawPath, undefined);
  }
  if (hostText.startsWith("*")) {
    const prefix = hostText.startsWith("*.") ? "*." : "*";
    const raw = hostText.slice(prefix.length);
    // A numeric tail (`*.0.1`) stays text: URL would read it as an IPv4 address. HTTPX matches it as text too.
    const domain = NUMERIC.test(raw) ? raw : raw.includes("*") || raw.includes("[") ? undefined : normaliseHost(raw);
    if (!domain || domain.startsWith(".")) {
      return bad(
        key,
        `a wildcard followed by a domain: "*.example.com" (subdomains) or "*example.com" (with the domain)`,
      );
    }
    const match = prefix === "*." ? "subdomains" : "domain";
    return withPath(key, anyScheme, prefix + domain, match, domain, port, rawPath, undefined);
  }
  if (hostText.includes("*")) return bad(key, `"*" only at the start of the host, e.g. "all://*.example.com"`);
  const host = normaliseHost(hostText);
  if (host === undefined) return bad(key, "a valid host name or IP address");
  const isIp = host.startsWith("[") || IPV4.test(host);
  if (isIp && /^\/\d+$/.test(rawPath)) {
    const cidr = cidrOf(host, Number(rawPath.slice(1)));
    if (!cidr) return bad(key, `a prefix length from 0 to ${host.startsWith("[") ? 128 : 32} after the address`);
    return build(key, anyScheme, cidr.host, "cidr", cidr.host, port, "", cidr.range);
  }
  return withPath(key, anyScheme, host, "exact", host, port, rawPath, undefined);
};

const withPath = (
  key: string,
  scheme: string,
  host: string,
  hostMatch: HostMatch,
  domain: string,
  port: number | undefined,
  rawPath: string,
  cidr: CidrRange | undefined,
): UrlPattern | InvalidOptions => {
  let path = "";
  if (rawPath !== "" && rawPath !== "/") {
    try {
      // Same percent-encoding and dot-segment rules as the request URL's pathname.
      path = new URL(rawPath, "http://h").pathname.replace(/\/+$/, "");
    } catch {
      return bad(key, "a valid path prefix");
    }
  }
  return build(key, scheme, host, hostMatch, domain, port, path, cidr);
};

const build = (
  key: string,
  scheme: string,
  host: string,
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
  return { key, scheme, host, hostMatch, domain, port, path, cidr, priority };
};

/** `path` is `prefix` or goes on below it (segment boundary: `/v2` matches `/v2/x`, not `/v20`). */
const pathMatches = (path: string, prefix: string): boolean =>
  path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 47);

/** Whether `host` ends with `.domain`, with at least one character before the dot (HTTPX's `.+\.`). */
const isSubdomain = (host: string, domain: string): boolean =>
  host.length > domain.length + 1 && host.endsWith(domain) && host.charCodeAt(host.length - domain.length - 1) === 46;

// ---- IP literals and CIDR ranges (allocation-free: the router calls these per request) ----

/**
 * A CIDR range (extension key form `all://10.0.0.0/8`, `all://[fe80::]/10`).
 *
 * @example
 * ```ts
 * import { UrlPattern } from "@switchyard/switchyard";
 * UrlPattern.parse("all://10.1.2.3/8").cidr; // { family: 4, address: "10.0.0.0", bits: 8, words: [167772160, 0, 0, 0] }
 * ```
 */
export interface CidrRange {
  /** 4 or 6. */
  readonly family: 4 | 6;
  /** The network address, host bits cleared, as `URL` writes it (IPv6 without brackets). */
  readonly address: string;
  /** The prefix length. */
  readonly bits: number;
  /** The network address as four 32-bit words (IPv4 uses the first), for fast comparisons. */
  readonly words: readonly number[];
}

const groups = new Uint16Array(8);

const hexDigit = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;

/** Parses IPv6 text (no brackets, hex groups, at most one `::`) into `groups`. */
const parseV6 = (s: string, start: number, end: number): boolean => {
  let n = 0;
  let gap = -1;
  let i = start;
  if (i < end && s.charCodeAt(i) === 58) {
    if (s.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    if (n === 8) return false;
    let value = 0;
    let digits = 0;
    for (let h = hexDigit(s.charCodeAt(i)); i < end && h >= 0; h = hexDigit(s.charCodeAt(++i))) {
      value = value * 16 + h;
      digits++;
    }
    if (digits === 0 || digits > 4) return false;
    groups[n++] = value;
    if (i === end) break;
    if (s.charCodeAt(i++) !== 58 || i === end) return false;
    if (s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    }
  }
  if (gap < 0) return n === 8;
  if (n === 8) return false;
  const tail = n - gap;
  for (let k = 0; k < tail; k++) groups[7 - k] = groups[n - 1 - k];
  for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  return true;
};

/** Parses dotted-quad text into a 32-bit number, or -1. */
const parseV4 = (s: string): number => {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + octet;
      octet = digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      octet = octet * 10 + c - 48;
      digits++;
      if (octet > 255) return -1;
    } else return -1;
  }
  return dots === 3 && digits > 0 ? value * 256 + octet : -1;
};

/**
 * Parses a URL hostname (`1.2.3.4` or `[::1]`) into four 32-bit words in
 * `out`; returns the family, or 0 when the host is not an IP literal. Allocates nothing.
 *
 * @example
 * ```ts
 * import { parseIpHost } from "./pattern.ts";
 * const words = new Uint32Array(4);
 * parseIpHost("10.0.0.1", words); // 4, words[0] === 0x0a000001
 * ```
 */
export const parseIpHost = (host: string, out: Uint32Array): 0 | 4 | 6 => {
  const first = host.charCodeAt(0);
  if (first === 91) {
    if (host.charCodeAt(host.length - 1) !== 93 || !parseV6(host, 1, host.length - 1)) return 0;
    for (let i = 0; i < 4; i++) out[i] = ((groups[2 * i] << 16) | groups[2 * i + 1]) >>> 0;
    return 6;
  }
  if (!(first >= 48 && first <= 57)) return 0;
  const v4 = parseV4(host);
  if (v4 < 0) return 0;
  out[0] = v4;
  out[1] = out[2] = out[3] = 0;
  return 4;
};

/**
 * Whether the address in `words` (from `parseIpHost`) lies in `range`.
 *
 * @example
 * ```ts
 * import { cidrContains, parseIpHost, UrlPattern } from "./pattern.ts";
 * const words = new Uint32Array(4);
 * const family = parseIpHost("10.9.8.7", words);
 * family !== 0 && cidrContains(UrlPattern.parse("all://10.0.0.0/8").cidr!, family, words); // true
 * ```
 */
export const cidrContains = (range: CidrRange, family: 4 | 6, words: Uint32Array): boolean => {
  if (family !== range.family) return false;
  for (let i = 0, bits = range.bits; bits > 0; i++, bits -= 32) {
    const mask = bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    if (((words[i] & mask) >>> 0) !== range.words[i]) return false;
  }
  return true;
};

/** The range `host/bits` (host as `URL` normalised it), host bits cleared; undefined when bits is out of range. */
const cidrOf = (host: string, bits: number): { host: string; range: CidrRange } | undefined => {
  const words = new Uint32Array(4);
  const family = parseIpHost(host, words);
  if (family === 0 || bits > (family === 4 ? 32 : 128)) return undefined;
  for (let i = 0, left = bits; i < 4; i++, left -= 32) {
    words[i] = left >= 32 ? words[i] : left <= 0 ? 0 : (words[i] & (0xffffffff << (32 - left))) >>> 0;
  }
  const text = family === 4
    ? [24, 16, 8, 0].map((s) => (words[0] >>> s) & 255).join(".")
    : normaliseHost(`[${[...words].flatMap((w) => [(w >>> 16).toString(16), (w & 0xffff).toString(16)]).join(":")}]`)!;
  const address = family === 4 ? text : text.slice(1, -1);
  return { host: text, range: { family, address, bits, words: [...words] } };
};

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
 * import { UrlPattern } from "@switchyard/switchyard";
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
