/**
 * IP literals and CIDR ranges: the extension key form `all://10.0.0.0/8`
 * (`all://[fe80::]/10` for IPv6). `parseIpHost` and `cidrContains` allocate
 * nothing: the router calls them per request.
 *
 * @module
 */

/**
 * A CIDR range (extension key form `all://10.0.0.0/8`, `all://[fe80::]/10`).
 *
 * @example
 * ```ts
 * import { UrlPattern } from "@switchyard/switchyard/router";
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
    } else if (c >= 48 && c <= 57 && digits < 3 && !(digits === 1 && octet === 0)) {
      // No leading zero: `010` is octal to some parsers and decimal to others (URL hosts never have one).
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
 * import { parseIpHost } from "./ip.ts";
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

const scratch = new Uint32Array(4);

/**
 * Whether `text` is an IPv4 or IPv6 address literal, without brackets or port
 * (`10.0.0.1`, `::1`): for options and server names that take an address as
 * written, where `parseIpHost` takes a URL's hostname.
 *
 * @example
 * ```ts
 * import { isIpLiteral } from "./ip.ts";
 * isIpLiteral("::1") && isIpLiteral("10.0.0.1") && !isIpLiteral("example.com") && !isIpLiteral("[::1]"); // true
 * ```
 */
export const isIpLiteral = (text: string): boolean => {
  if (!text.includes(":")) return parseIpHost(text, scratch) === 4;
  if (text.includes("[") || text.includes("%")) return false;
  // The URL parser writes an embedded IPv4 tail (`::ffff:127.0.0.1`) the way `parseIpHost` reads.
  const url = URL.parse(`http://[${text}]/`);
  return url !== null && parseIpHost(url.hostname, scratch) === 6;
};

/**
 * Whether the address in `words` (from `parseIpHost`) lies in `range`.
 *
 * @example
 * ```ts
 * import { cidrContains, cidrOf, parseIpHost } from "./ip.ts";
 * const words = new Uint32Array(4);
 * const family = parseIpHost("10.9.8.7", words);
 * family !== 0 && cidrContains(cidrOf("10.0.0.0", 8)!.range, family, words); // true
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

/** IPv6 `words` as `URL` writes a host: in brackets, `::`-compressed (eight hex groups always parse). */
const v6Host = (words: Uint32Array): string =>
  new URL(`http://[${[...words].flatMap((w) => [(w >>> 16).toString(16), (w & 0xffff).toString(16)]).join(":")}]/`)
    .hostname;

/**
 * The range `host/bits` (host as `URL` normalised it), host bits cleared, with the network
 * address as a URL host (`10.0.0.0`, `[fe80::]`); undefined when bits is out of range. Allocates: parse time only.
 *
 * @example
 * ```ts
 * import { cidrOf } from "./ip.ts";
 * cidrOf("10.1.2.3", 8)?.host; // "10.0.0.0"
 * cidrOf("[fe80::1]", 10)?.range.address; // "fe80::"
 * cidrOf("10.1.2.3", 33); // undefined
 * ```
 */
export const cidrOf = (host: string, bits: number): { host: string; range: CidrRange } | undefined => {
  const words = new Uint32Array(4);
  const family = parseIpHost(host, words);
  if (family === 0 || bits > (family === 4 ? 32 : 128)) return undefined;
  for (let i = 0, left = bits; i < 4; i++, left -= 32) {
    words[i] = left >= 32 ? words[i] : left <= 0 ? 0 : (words[i] & (0xffffffff << (32 - left))) >>> 0;
  }
  const text = family === 4 ? [24, 16, 8, 0].map((s) => (words[0] >>> s) & 255).join(".") : v6Host(words);
  const address = family === 4 ? text : text.slice(1, -1);
  return { host: text, range: { family, address, bits, words: [...words] } };
};
