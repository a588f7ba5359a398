/**
 * What a recording hides, and how: secret headers, URL userinfo,
 * secret-looking query values, cookie values and secret body fields are
 * replaced by `[redacted]` before anything is written. `replay` runs the
 * same redaction over both sides before it compares a request with a
 * recording, so a request still matches the entry recorded from it.
 *
 * @module
 */
import { InvalidOptions } from "./errors.ts";
import type { HarCookie, HarNameValue } from "./har.ts";
import { isSecretHeader, isSecretParam, redactBody, REDACTED, redactUrl } from "./redact.ts";

/**
 * What a recording redacts, beyond the defaults: `Authorization`,
 * `Proxy-Authorization`, `Cookie`, `Set-Cookie`, `X-Api-Key` and
 * `X-Auth-Token` headers; URL userinfo (always); the values of query
 * parameters whose names look secret (`token`, `api_key`, `password`,
 * `signature`, `session`, ...); cookie values; and the body fields named in
 * `bodyFields`.
 *
 * @example
 * ```ts
 * import type { HarRedactOptions } from "@switchyard/switchyard/testing";
 * const redact: HarRedactOptions = { headers: ["x-tenant-key"], query: ["code"], keep: ["cookie"] };
 * ```
 */
export interface HarRedactOptions {
  /** More header names whose values are replaced. */
  readonly headers?: ReadonlyArray<string>;
  /** More query parameter names whose values are replaced. */
  readonly query?: ReadonlyArray<string>;
  /**
   * Fields of JSON and form bodies whose values are replaced, at any depth
   * (default: `password`, `passwd`, `secret`, `client_secret`, `token`,
   * `access_token`, `refresh_token`, `id_token`, `api_key`, `apikey`). `[]`
   * keeps bodies as they are.
   */
  readonly bodyFields?: ReadonlyArray<string>;
  /** Header and query names to keep although they look secret (e.g. `"cookie"`). */
  readonly keep?: ReadonlyArray<string>;
}

/** Applies one redaction policy to the parts of an exchange. */
export interface Redactor {
  /** A URL with its userinfo and secret query values redacted. */
  readonly url: (url: string) => string;
  /** Headers as HAR pairs, secret values redacted; pseudo-headers (`:authority`) dropped. */
  readonly headers: (headers: Headers | ReadonlyArray<HarNameValue>) => Array<HarNameValue>;
  /** A URL's query as HAR pairs, secret values redacted. */
  readonly query: (url: URL) => Array<HarNameValue>;
  /** The cookies of a `Cookie` header, values redacted unless `cookie` is kept. */
  readonly requestCookies: (header: string | null) => Array<HarCookie>;
  /** The cookies of `Set-Cookie` headers, values redacted unless `set-cookie` is kept. */
  readonly responseCookies: (headers: ReadonlyArray<string>) => Array<HarCookie>;
  /** A body's text with its secret fields redacted. */
  readonly body: (text: string, mimeType: string) => string;
}

const DEFAULT_BODY_FIELDS = [
  "password",
  "passwd",
  "secret",
  "client_secret",
  "token",
  "access_token",
  "refresh_token",
  "id_token",
  "api_key",
  "apikey",
];

const names = (option: string, value: unknown): Set<string> => {
  if (value === undefined) return new Set();
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw new InvalidOptions({
      option: `redact.${option}`,
      received: Array.isArray(value) ? "an array with a non-string" : typeof value,
      expected: "an array of names",
    });
  }
  return new Set(value.map((v: string) => v.toLowerCase()));
};

const KEYS = new Set(["headers", "query", "bodyFields", "keep"]);

/**
 * The redactor for `options` (checked: a bad option is an `InvalidOptions`
 * naming it).
 *
 * @example
 * ```ts
 * import { makeRedactor } from "./har_redact.ts";
 * const redactor = makeRedactor({ headers: ["x-tenant-key"] });
 * redactor.url("https://u:p@api.test/?token=abc"); // "https://[redacted]@api.test/?token=[redacted]"
 * ```
 */
export const makeRedactor = (options: HarRedactOptions = {}): Redactor => {
  if (typeof options !== "object" || options === null) {
    throw new InvalidOptions({ option: "redact", received: typeof options, expected: "an object" });
  }
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) {
      throw new InvalidOptions({
        option: `redact.${key}`,
        received: "an option that does not exist",
        expected: `one of ${[...KEYS].join(", ")}`,
      });
    }
  }
  const headers = names("headers", options.headers);
  const query = names("query", options.query);
  const keep = names("keep", options.keep);
  const fields = names("bodyFields", options.bodyFields ?? DEFAULT_BODY_FIELDS);
  const secretHeader = (name: string) => {
    const lower = name.toLowerCase();
    return !keep.has(lower) && (isSecretHeader(lower) || headers.has(lower));
  };
  const secretKey = (name: string) => {
    const lower = name.toLowerCase();
    return !keep.has(lower) && (isSecretParam(lower) || query.has(lower));
  };
  const secretField = (name: string) => fields.has(name.toLowerCase());
  const keepCookies = keep.has("cookie");
  const keepSetCookies = keep.has("set-cookie");
  return {
    url: (url) => redactUrl(url, secretKey),
    headers: (input) => {
      const out: Array<HarNameValue> = [];
      for (const pair of input) {
        const [name, value] = Array.isArray(pair) ? pair as [string, string] : [pair.name, pair.value];
        if (name.startsWith(":")) continue;
        out.push({ name, value: secretHeader(name) ? REDACTED : value });
      }
      return out;
    },
    query: (url) => [...url.searchParams].map(([name, value]) => ({ name, value: secretKey(name) ? REDACTED : value })),
    requestCookies: (header) =>
      header === null ? [] : header.split(";").map((part) => part.trim()).filter(Boolean).map((part) => {
        const eq = part.indexOf("=");
        const name = eq < 0 ? part : part.slice(0, eq);
        return { name, value: keepCookies ? (eq < 0 ? "" : part.slice(eq + 1)) : REDACTED };
      }),
    responseCookies: (lines) => lines.map((line) => setCookie(line, keepSetCookies)),
    body: (text, mimeType) => (fields.size === 0 ? text : redactBody(text, mimeType, secretField)),
  };
};

/** One `Set-Cookie` line as a HAR cookie. */
const setCookie = (line: string, keepValue: boolean): HarCookie => {
  const [pair = "", ...attributes] = line.split(";");
  const eq = pair.indexOf("=");
  const cookie: { -readonly [K in keyof HarCookie]: HarCookie[K] } = {
    name: (eq < 0 ? pair : pair.slice(0, eq)).trim(),
    value: keepValue ? (eq < 0 ? "" : pair.slice(eq + 1).trim()) : REDACTED,
  };
  for (const attribute of attributes) {
    const [key = "", ...rest] = attribute.split("=");
    const value = rest.join("=").trim();
    switch (key.trim().toLowerCase()) {
      case "path":
        cookie.path = value;
        break;
      case "domain":
        cookie.domain = value;
        break;
      case "expires": {
        const date = new Date(value);
        if (!Number.isNaN(date.getTime())) cookie.expires = date.toISOString();
        break;
      }
      case "httponly":
        cookie.httpOnly = true;
        break;
      case "secure":
        cookie.secure = true;
        break;
    }
  }
  return cookie;
};
