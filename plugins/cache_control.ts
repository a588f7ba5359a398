/**
 * The header syntax the cache reads: `Cache-Control` directives (RFC 9111
 * §5.2) and HTTP dates (RFC 9110 §5.6.7: IMF-fixdate, and the obsolete
 * RFC 850 and asctime forms a recipient must still accept, all in GMT).
 *
 * @module
 */

/**
 * Parsed `Cache-Control` directives: lowercase names to their value (a
 * quoted string unquoted), or `true` for a directive without one. When a
 * directive appears twice the first one counts (RFC 9111 §4.2.1 allows it).
 *
 * @example
 * ```ts
 * import { parseCacheControl } from "./cache_control.ts";
 * const d = parseCacheControl('max-age=60, no-cache="set-cookie", Private');
 * d["max-age"]; // "60"
 * d["private"]; // true
 * ```
 */
export type Directives = Readonly<Record<string, string | true>>;

/** What no header parses to. */
export const NO_DIRECTIVES: Directives = Object.freeze({});

/**
 * Parses a `Cache-Control` value (`null`: no header). Commas inside quoted
 * strings do not split directives.
 *
 * @example
 * ```ts
 * import { parseCacheControl } from "./cache_control.ts";
 * parseCacheControl("no-store")["no-store"]; // true
 * ```
 */
export const parseCacheControl = (value: string | null): Directives => {
  if (value === null || value === "") return NO_DIRECTIVES;
  const out: Record<string, string | true> = {};
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && (value[i] === " " || value[i] === "\t" || value[i] === ",")) i++;
    let end = i;
    while (end < n && value[end] !== "=" && value[end] !== ",") end++;
    const name = value.slice(i, end).trim().toLowerCase();
    let directive: string | true = true;
    i = end;
    if (value[i] === "=") {
      i++;
      while (i < n && (value[i] === " " || value[i] === "\t")) i++;
      if (value[i] === '"') {
        let text = "";
        for (i++; i < n && value[i] !== '"'; i++) text += value[i] === "\\" && i + 1 < n ? value[++i] : value[i];
        i++;
        directive = text;
      } else {
        let stop = i;
        while (stop < n && value[stop] !== ",") stop++;
        directive = value.slice(i, stop).trim();
        i = stop;
      }
    }
    if (name !== "" && !(name in out)) out[name] = directive;
  }
  return out;
};

/**
 * A directive's delta-seconds (a non-negative integer) in milliseconds;
 * `undefined` when absent, `NaN` when present but not delta-seconds (the
 * caller decides what an invalid value means; for `max-age` it is stale).
 * A directive given without a value (`max-stale`) is `Infinity`.
 *
 * @example
 * ```ts
 * import { deltaMs, parseCacheControl } from "./cache_control.ts";
 * deltaMs(parseCacheControl("max-age=60"), "max-age"); // 60000
 * deltaMs(parseCacheControl("max-stale"), "max-stale"); // Infinity
 * ```
 */
export const deltaMs = (directives: Directives, name: string): number | undefined => {
  const value = directives[name];
  if (value === undefined) return undefined;
  if (value === true) return Infinity;
  // Values beyond 2^31 seconds mean "a long time" (RFC 9111 §1.2.2): they stay large numbers.
  return /^\d+$/.test(value) ? Number(value) * 1000 : NaN;
};

const MONTHS: Readonly<Record<string, number>> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};
const IMF = /^[a-z]{3}, (\d{2}) ([a-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
const RFC850 = /^[a-z]+, (\d{2})-([a-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
const ASCTIME = /^[a-z]{3} ([a-z]{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/i;

/**
 * An HTTP date in milliseconds since the epoch, or `undefined` when absent
 * or not one of the three forms (an invalid `Expires` means "already
 * expired", which the caller decides).
 *
 * @example
 * ```ts
 * import { parseHttpDate } from "./cache_control.ts";
 * parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"); // 784111777000
 * parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"); // 784111777000
 * parseHttpDate("Sun Nov  6 08:49:37 1994"); // 784111777000
 * ```
 */
export const parseHttpDate = (value: string | null): number | undefined => {
  if (value === null) return undefined;
  const text = value.trim();
  let m = IMF.exec(text);
  if (m) return utc(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = RFC850.exec(text);
  if (m) {
    // A two-digit year more than 50 years in the future is in the past century (RFC 9110 §5.6.7).
    const yy = Number(m[3]);
    const thisYear = new Date().getUTCFullYear();
    let year = 2000 + yy;
    if (year > thisYear + 50) year -= 100;
    return utc(year, m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  }
  m = ASCTIME.exec(text);
  if (m) return utc(Number(m[6]), m[1]!, Number(m[2]), m[3]!, m[4]!, m[5]!);
  return undefined;
};

const utc = (year: number, month: string, day: number, h: string, min: string, s: string): number | undefined => {
  const index = MONTHS[month.toLowerCase()];
  if (index === undefined) return undefined;
  const ms = Date.UTC(year, index, day, Number(h), Number(min), Number(s));
  return Number.isNaN(ms) ? undefined : ms;
};
