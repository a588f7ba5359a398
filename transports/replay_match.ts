/**
 * How `replay` decides that a request is a recorded one: both are turned
 * into the same parts (method, origin, path, query, body, chosen headers),
 * after the same redaction, and compared part by part; what differs is said
 * in words for `UnrecordedRequest`.
 *
 * @module
 */
import { InvalidOptions, type NearMiss } from "../core/errors.ts";
import { encodeBody, type HarEntry } from "../core/har.ts";
import type { Redactor } from "../core/har_redact.ts";
import { bodyExcerpt } from "../core/redact.ts";

/**
 * A request or a recorded entry as a custom `key` sees it: redacted the same
 * way on both sides (URL without userinfo and fragment; body as text, or
 * base64 when binary).
 *
 * @example
 * ```ts
 * import type { ReplayKeyInput } from "@switchyard/switchyard/testing";
 * const byPathOnly = (input: ReplayKeyInput) => `${input.method} ${input.url.pathname}`;
 * ```
 */
export interface ReplayKeyInput {
  /** The method, upper case. */
  readonly method: string;
  /** The URL, redacted. */
  readonly url: URL;
  /** The headers, redacted. */
  readonly headers: Headers;
  /** The body, redacted (`""` for none). */
  readonly body: string;
}

/**
 * What `replay` compares. By default the method, the URL (origin, path, and
 * query in any order) and the body (JSON compared without regard to key
 * order or spacing); headers are ignored.
 *
 * @example
 * ```ts
 * import type { ReplayMatch } from "@switchyard/switchyard/testing";
 * const match: ReplayMatch = { ignoreQuery: ["_ts"], headers: ["accept"], body: false };
 * ```
 */
export interface ReplayMatch {
  /** Compare methods (default `true`). */
  readonly method?: boolean;
  /** Compare bodies (default `true`). */
  readonly body?: boolean;
  /** Headers that must match too (default none). */
  readonly headers?: ReadonlyArray<string>;
  /** Query parameters left out of the comparison (a timestamp, a cache buster). */
  readonly ignoreQuery?: ReadonlyArray<string>;
  /**
   * A key of your own: a request matches the entries with the same key
   * (the parts above still explain a miss).
   */
  readonly key?: (input: ReplayKeyInput) => string;
}

/** The compared parts of one request or entry. */
export interface Parts {
  readonly input: ReplayKeyInput;
  readonly method: string;
  readonly origin: string;
  readonly path: string;
  readonly query: string;
  readonly body: string;
  readonly headers: ReadonlyArray<string | null>;
  readonly key: string;
}

const stable = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(stable);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.keys(value).sort().map((k) => [k, stable((value as Record<string, unknown>)[k])]),
  );
};

/** The body as compared: JSON without key order or spacing, a form with sorted fields, any other text as is. */
const canonicalBody = (text: string, mimeType: string): string => {
  if (/^application\/x-www-form-urlencoded\b/i.test(mimeType)) {
    return new URLSearchParams([...new URLSearchParams(text)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      .toString();
  }
  const first = text.trimStart()[0];
  if (first === "{" || first === "[") {
    try {
      return JSON.stringify(stable(JSON.parse(text)));
    } catch {
      return text;
    }
  }
  return text;
};

/** Compiles `match` into a function from a key input to its parts. */
export const makeParts = (match: ReplayMatch = {}): (input: ReplayKeyInput) => Parts => {
  if (typeof match !== "object" || match === null) {
    throw new InvalidOptions({ option: "match", received: typeof match, expected: "an object" });
  }
  for (const key of Object.keys(match)) {
    if (!["method", "body", "headers", "ignoreQuery", "key"].includes(key)) {
      throw new InvalidOptions({
        option: `match.${key}`,
        received: "an option that does not exist",
        expected: "one of method, body, headers, ignoreQuery, key",
      });
    }
  }
  for (const list of ["headers", "ignoreQuery"] as const) {
    const value = match[list];
    if (value !== undefined && (!Array.isArray(value) || value.some((v) => typeof v !== "string"))) {
      throw new InvalidOptions({ option: `match.${list}`, received: typeof value, expected: "an array of names" });
    }
  }
  if (match.key !== undefined && typeof match.key !== "function") {
    throw new InvalidOptions({
      option: "match.key",
      received: typeof match.key,
      expected: "a function (input) => string",
    });
  }
  const ignored = new Set(match.ignoreQuery ?? []);
  const headers = (match.headers ?? []).map((h) => h.toLowerCase());
  const useMethod = match.method ?? true;
  const useBody = match.body ?? true;
  const custom = match.key;
  return (input) => {
    const query = [...input.url.searchParams].filter(([k]) => !ignored.has(k)).sort((a, b) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0
    );
    const parts = {
      input,
      method: useMethod ? input.method : "",
      origin: input.url.origin,
      path: input.url.pathname,
      query: new URLSearchParams(query).toString(),
      body: useBody ? canonicalBody(input.body, input.headers.get("content-type") ?? "") : "",
      headers: headers.map((h) => input.headers.get(h)),
    };
    const key = custom !== undefined
      ? String(custom(input))
      : JSON.stringify([parts.method, parts.origin, parts.path, parts.query, parts.body, parts.headers]);
    return { ...parts, key };
  };
};

const comparableUrl = (text: string): URL => {
  const url = new URL(text);
  url.username = "";
  url.password = "";
  url.hash = "";
  return url;
};

const headersOf = (pairs: ReadonlyArray<{ readonly name: string; readonly value: string }>): Headers => {
  const headers = new Headers();
  for (const { name, value } of pairs) {
    try {
      headers.append(name, value);
    } catch {
      // A name or value fetch refuses (browsers record anything): not comparable, left out.
    }
  }
  return headers;
};

/** The key input of a request whose body (if any) was read as `bytes`. */
export const inputOfRequest = (request: Request, bytes: Uint8Array | undefined, redactor: Redactor): ReplayKeyInput => {
  const mimeType = request.headers.get("content-type") ?? "";
  let body = "";
  if (bytes !== undefined && bytes.byteLength > 0) {
    const encoded = encodeBody(bytes, mimeType);
    body = encoded.encoding === undefined ? redactor.body(encoded.text, mimeType) : encoded.text;
  }
  return {
    method: request.method.toUpperCase(),
    url: comparableUrl(redactor.url(request.url)),
    headers: headersOf(redactor.headers(request.headers)),
    body,
  };
};

/** The key input of a recorded entry (any tool's: browsers write form bodies as `params`). */
export const inputOfEntry = (entry: HarEntry, redactor: Redactor): ReplayKeyInput => {
  const post = entry.request.postData;
  const mimeType = post?.mimeType ?? "";
  let body = post?.text ?? "";
  if (body === "" && post?.params !== undefined) {
    body = new URLSearchParams(post.params.map((p) => [p.name, p.value ?? ""])).toString();
  }
  if (post?._encoding !== "base64") body = redactor.body(body, mimeType);
  return {
    method: entry.request.method.toUpperCase(),
    url: comparableUrl(redactor.url(entry.request.url)),
    headers: headersOf(redactor.headers(entry.request.headers ?? [])),
    body,
  };
};

/** What differs between a recorded entry's parts and a request's, and how far that is. */
const compare = (
  recorded: Parts,
  asked: Parts,
  headerNames: ReadonlyArray<string>,
): { differences: Array<string>; distance: number } => {
  const differences: Array<string> = [];
  let distance = 0;
  const differ = (weight: number, line: string) => {
    differences.push(line);
    distance += weight;
  };
  if (recorded.method !== asked.method) differ(3, `method: recorded ${recorded.method}, got ${asked.method}`);
  if (recorded.origin !== asked.origin) differ(10, `origin: recorded ${recorded.origin}, got ${asked.origin}`);
  if (recorded.path !== asked.path) differ(10, `path: recorded ${recorded.path}, got ${asked.path}`);
  if (recorded.query !== asked.query) {
    differ(
      2,
      `query: recorded ${recorded.query ? `?${recorded.query}` : "(none)"}, got ${
        asked.query ? `?${asked.query}` : "(none)"
      }`,
    );
  }
  if (recorded.body !== asked.body) {
    const show = (p: Parts) => (p.body === "" ? "(empty)" : bodyExcerpt(p.body, p.input.headers.get("content-type")));
    differ(1, `body: recorded ${show(recorded)}, got ${show(asked)}`);
  }
  headerNames.forEach((name, i) => {
    if (recorded.headers[i] !== asked.headers[i]) {
      differ(
        1,
        `header ${name}: recorded ${JSON.stringify(recorded.headers[i])}, got ${JSON.stringify(asked.headers[i])}`,
      );
    }
  });
  if (differences.length === 0 && recorded.key !== asked.key) differ(1, "the custom key differs");
  return { differences, distance };
};

/** The recorded entries nearest to `asked`, nearest first, at most `max`. */
export const nearestEntries = (
  recorded: ReadonlyArray<Parts>,
  asked: Parts,
  match: ReplayMatch | undefined,
  max = 3,
): Array<NearMiss> => {
  const headerNames = (match?.headers ?? []).map((h) => h.toLowerCase());
  return recorded
    .map((parts, index) => ({ index, parts, ...compare(parts, asked, headerNames) }))
    .sort((a, b) => a.distance - b.distance || a.index - b.index)
    .slice(0, max)
    .map(({ index, parts, differences }) => ({
      candidate: `${parts.input.method} ${parts.input.url.href} (entry ${index})`,
      differences,
    }));
};
