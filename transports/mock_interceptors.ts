/**
 * The interceptors of `MockTransport`: what a request must look like
 * (`InterceptSpec`), how it is answered (`Interceptor`), how often, and why a
 * request did not match (each difference in words, for `UnmatchedRequest`).
 *
 * Matching is synchronous over a view of the request (its body read once,
 * as text, only when an interceptor looks at it), so both lanes share it;
 * only the answer's delay runs on Effect's `Clock`.
 *
 * @module
 */
import { Effect } from "effect";
import { InvalidOptions, type NearMiss, type TransportError, TransportErrorBase } from "../core/errors.ts";
import { bodyExcerpt, isSecretHeader, isSecretParam, REDACTED, redactUrl } from "../core/redact.ts";
import type { MockHandler } from "./mock.ts";

/**
 * A JSON value, as an interceptor's expected body or a reply's body.
 *
 * @example
 * ```ts
 * import type { JsonValue } from "@switchyard/switchyard";
 * const body: JsonValue = { name: "Ada", tags: ["a"] };
 * ```
 */
export type JsonValue = null | boolean | number | string | ReadonlyArray<JsonValue> | {
  readonly [key: string]: JsonValue;
};

/**
 * What a request must look like for an interceptor to answer it. Every field
 * is optional; a field left out matches anything.
 *
 * - `method`: case-insensitive.
 * - `url`: an absolute URL string (compared without its query unless it has
 *   one; then the query must hold exactly those parameters, in any order), a
 *   `RegExp` tested on the whole URL, or a `URLPattern`.
 * - `path`: the same for the path on any origin (`"/users"`, `"/users?page=2"`,
 *   `/^\/users\/\d+$/`, `new URLPattern({ pathname: "/users/:id" })`).
 * - `query`: parameters that must be present: a value, all values in order
 *   (an array), or a `RegExp` for the first value. Others may be present.
 * - `headers`: headers that must be present (a value, a `RegExp`, a predicate),
 *   or `null` for one that must be absent. Others may be present.
 * - `body`: a string (the exact text), a `RegExp`, a predicate on the text, or
 *   any other JSON value (the body parsed as JSON must equal it).
 *
 * @example
 * ```ts
 * import type { InterceptSpec } from "@switchyard/switchyard";
 * const spec: InterceptSpec = {
 *   method: "POST",
 *   url: "http://api.test/users",
 *   headers: { "content-type": /json/ },
 *   body: { name: "Ada" },
 * };
 * ```
 */
export interface InterceptSpec {
  /** The method, case-insensitive. */
  readonly method?: string;
  /** The whole URL: a string, a `RegExp` or a `URLPattern`. */
  readonly url?: string | RegExp | URLPattern;
  /** The path (and query, when given) on any origin: a string, a `RegExp` or a `URLPattern`. */
  readonly path?: string | RegExp | URLPattern;
  /** Query parameters that must be present. */
  readonly query?: Readonly<Record<string, string | ReadonlyArray<string> | RegExp>>;
  /** Headers that must be present (or, with `null`, absent). */
  readonly headers?: Readonly<Record<string, string | RegExp | ((value: string) => boolean) | null>>;
  /** The body: exact text, a `RegExp`, a predicate on the text, or a JSON value. */
  readonly body?: JsonValue | RegExp | ((text: string) => boolean);
}

/**
 * An interceptor's state, as `mock.pending()` reports it.
 *
 * @example
 * ```ts
 * import { MockTransport, type InterceptorState } from "@switchyard/switchyard";
 * const mock = MockTransport.make();
 * mock.on({ path: "/a" }).reply(200).times(2);
 * const [state]: ReadonlyArray<InterceptorState> = mock.pending();
 * console.assert(state!.uses === 0 && state!.limit === 2);
 * ```
 */
export interface InterceptorState {
  /** What it matches, as messages show it. */
  readonly description: string;
  /** How many requests it answered. */
  readonly uses: number;
  /** How many it may answer: 1 by default, `Infinity` once persisted. */
  readonly limit: number;
}

/**
 * One interceptor: set its answer with `reply` or `fail`, and how often and
 * how late it answers with `times`, `persist` and `delay` (any order; each
 * returns the interceptor).
 *
 * @example
 * ```ts
 * import { ConnectError, MockTransport } from "@switchyard/switchyard";
 * const mock = MockTransport.make();
 * mock.on({ method: "GET", path: "/users" }).reply(200, [{ id: 1 }]).times(2).delay(50);
 * mock.on({ path: "/down" }).fail((request) => new ConnectError(request, { detail: "simulated" })).persist();
 * mock.on({ path: "/echo" }).reply(async (request) => new Response(await request.text()));
 * ```
 */
export interface Interceptor extends InterceptorState {
  /**
   * Answers with `status`, `body` (a string, bytes, a `Blob`, form data, or
   * any other value as JSON, with `content-type: application/json` unless
   * `headers` sets one) and `headers`; or, given a function, with what it
   * returns for the request (a `Response`, a Promise of one, or an Effect).
   */
  reply(status: number, body?: unknown, headers?: HeadersInit): Interceptor;
  /** See the first overload. */
  reply(answer: MockHandler): Interceptor;
  /** Fails with `error`, or with the error `error(request)` builds (e.g. a `ConnectError`). */
  fail(error: TransportError | ((request: Request) => TransportError)): Interceptor;
  /** Answers `n` requests (default 1), then stops matching. */
  times(n: number): Interceptor;
  /** Answers any number of requests. */
  persist(): Interceptor;
  /** Waits `ms` milliseconds before answering, on Effect's `Clock` (`TestClock` steps it). */
  delay(ms: number): Interceptor;
}

/** The request as matching sees it; `body` is the text, read only when some interceptor needs it. */
export interface RequestView {
  readonly method: string;
  readonly url: URL;
  readonly headers: Headers;
  readonly body: string | undefined;
}

/** One field's check: a difference in words, or `undefined` when it matches. */
type Check = (view: RequestView) => string | undefined;

const SPEC_KEYS = new Set(["method", "url", "path", "query", "headers", "body"]);

const bad = (option: string, value: unknown, expected: string): never => {
  throw new InvalidOptions({
    option,
    received: typeof value === "string" ? JSON.stringify(redactUrl(value)) : value === null ? "null" : typeof value,
    expected,
  });
};

const isPattern = (u: unknown): u is URLPattern => typeof URLPattern === "function" && u instanceof URLPattern;

const showPattern = (p: URLPattern): string => {
  const host = p.hostname === "*" ? "" : `${p.protocol === "*" ? "" : `${p.protocol}://`}${p.hostname}`;
  return `URLPattern(${host}${p.pathname}${p.search === "*" ? "" : `?${p.search}`})`;
};

const showQuery = (params: URLSearchParams): string => {
  const shown = new URLSearchParams();
  for (const [key, value] of params) shown.append(key, isSecretParam(key) ? REDACTED : value);
  const text = shown.toString();
  return text ? `?${text}` : "(no query)";
};

const sortedQuery = (params: URLSearchParams): string =>
  JSON.stringify([...params].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1)));

const jsonEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length &&
    ka.every((k) =>
      Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
    );
};

/** A string/RegExp/URLPattern location check, on the whole URL (`url`) or on the path (`path`). */
const locationCheck = (field: "url" | "path", expected: unknown): { check: Check; shown: string } => {
  if (expected instanceof RegExp) {
    const subject = (url: URL) => (field === "url" ? url.href : url.pathname + url.search);
    return {
      shown: String(expected),
      check: (v) => {
        expected.lastIndex = 0;
        return expected.test(subject(v.url))
          ? undefined
          : `${field}: expected ${expected}, got ${
            redactUrl(field === "url" ? v.url.href : v.url.pathname + v.url.search)
          }`;
      },
    };
  }
  if (isPattern(expected)) {
    return {
      shown: showPattern(expected),
      check: (v) =>
        expected.test(v.url.href) ? undefined : `${field}: expected ${showPattern(expected)}, got ${redactUrl(v.url)}`,
    };
  }
  if (typeof expected !== "string") {
    return bad(field, expected, "a string, a RegExp or a URLPattern");
  }
  let parsed: URL;
  if (field === "url") {
    try {
      parsed = new URL(expected);
    } catch {
      return bad("url", expected, 'an absolute URL such as "http://api.test/users" (use `path` for a path alone)');
    }
  } else {
    if (!expected.startsWith("/")) return bad("path", expected, 'a path that starts with "/", such as "/users"');
    parsed = new URL(expected, "http://path.invalid");
  }
  const withQuery = parsed.search !== "";
  const query = sortedQuery(parsed.searchParams);
  const where = field === "url" ? (u: URL) => u.origin + u.pathname : (u: URL) => u.pathname;
  const want = where(parsed);
  return {
    shown: field === "url" ? redactUrl(parsed) : `${parsed.pathname}${withQuery ? showQuery(parsed.searchParams) : ""}`,
    check: (v) => {
      const got = where(v.url);
      if (got !== want) return `${field}: expected ${redactUrl(want)}, got ${redactUrl(got)}`;
      if (withQuery && sortedQuery(v.url.searchParams) !== query) {
        return `query: expected exactly ${showQuery(parsed.searchParams)}, got ${showQuery(v.url.searchParams)}`;
      }
      return undefined;
    },
  };
};

const queryCheck = (key: string, expected: unknown): Check => {
  const show = (values: ReadonlyArray<string>) =>
    values.length === 0 ? "(absent)" : isSecretParam(key) ? REDACTED : values.join(", ");
  if (expected instanceof RegExp) {
    return (v) => {
      const value = v.url.searchParams.get(key);
      expected.lastIndex = 0;
      return value !== null && expected.test(value)
        ? undefined
        : `query ${key}: expected ${expected}, got ${show(v.url.searchParams.getAll(key))}`;
    };
  }
  const want = typeof expected === "string"
    ? [expected]
    : Array.isArray(expected) && expected.every((e) => typeof e === "string")
    ? expected as ReadonlyArray<string>
    : bad(`query.${key}`, expected, "a string, an array of strings, or a RegExp");
  return (v) => {
    const got = v.url.searchParams.getAll(key);
    return got.length === want.length && got.every((g, i) => g === want[i])
      ? undefined
      : `query ${key}: expected ${show(want)}, got ${show(got)}`;
  };
};

const headerCheck = (name: string, expected: unknown): Check => {
  const secret = isSecretHeader(name);
  const show = (value: string | null) => (value === null ? "(absent)" : secret ? REDACTED : JSON.stringify(value));
  if (expected === null) {
    return (
      v,
    ) => (v.headers.has(name) ? `header ${name}: expected it absent, got ${show(v.headers.get(name))}` : undefined);
  }
  const test = typeof expected === "string"
    ? (value: string) => value === expected
    : expected instanceof RegExp
    ? (value: string) => (expected.lastIndex = 0, expected.test(value))
    : typeof expected === "function"
    ? expected as (value: string) => boolean
    : bad(`headers.${name}`, expected, "a string, a RegExp, a predicate, or null (must be absent)");
  const wanted = typeof expected === "function"
    ? "a value the predicate accepts"
    : typeof expected === "string"
    ? show(expected)
    : String(expected);
  return (v) => {
    const value = v.headers.get(name);
    return value !== null && test(value) ? undefined : `header ${name}: expected ${wanted}, got ${show(value)}`;
  };
};

const bodyCheck = (expected: unknown): { check: Check; shown: string } => {
  const got = (v: RequestView) =>
    v.body === undefined || v.body === "" ? "(empty)" : bodyExcerpt(v.body, v.headers.get("content-type"));
  if (typeof expected === "string") {
    return {
      shown: JSON.stringify(bodyExcerpt(expected, null)),
      check: (
        v,
      ) => ((v.body ?? "") === expected ? undefined : `body: expected ${bodyExcerpt(expected, null)}, got ${got(v)}`),
    };
  }
  if (expected instanceof RegExp) {
    return {
      shown: String(expected),
      check: (
        v,
      ) => (expected.lastIndex = 0,
        expected.test(v.body ?? "") ? undefined : `body: expected ${expected}, got ${got(v)}`),
    };
  }
  if (typeof expected === "function") {
    return {
      shown: "(a predicate)",
      check: (v) => {
        try {
          return (expected as (text: string) => boolean)(v.body ?? "")
            ? undefined
            : `body: the predicate refused ${got(v)}`;
        } catch (error) {
          return `body: the predicate threw ${error instanceof Error ? error.message : String(error)}`;
        }
      },
    };
  }
  let text: string;
  try {
    text = JSON.stringify(expected);
  } catch {
    return bad("body", expected, "a string, a RegExp, a predicate, or a JSON value");
  }
  if (text === undefined) return bad("body", expected, "a string, a RegExp, a predicate, or a JSON value");
  const shown = bodyExcerpt(text, "application/json");
  return {
    shown,
    check: (v) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(v.body ?? "");
      } catch {
        return `body: expected JSON ${shown}, got ${got(v)} (not JSON)`;
      }
      return jsonEqual(parsed, expected) ? undefined : `body: expected ${shown}, got ${got(v)}`;
    },
  };
};

const isBodyInit = (u: unknown): u is BodyInit =>
  typeof u === "string" || u instanceof ArrayBuffer || ArrayBuffer.isView(u) || u instanceof Blob ||
  u instanceof URLSearchParams || u instanceof FormData;

/** A handler that builds a fresh Response per request from a reply's parts. */
const staticReply = (status: unknown, body: unknown, headers: HeadersInit | undefined): MockHandler => {
  if (typeof status !== "number" || !Number.isInteger(status) || status < 200 || status > 599) {
    bad("reply(status)", status, "a whole number from 200 to 599 (what a Response can carry)");
  }
  if (body instanceof ReadableStream) {
    bad("reply(body)", body, "a body that can be sent more than once; for a stream, reply with a function");
  }
  const head = new Headers(headers);
  let init: BodyInit | null = null;
  if (body !== undefined && body !== null) {
    if (isBodyInit(body)) init = body;
    else {
      init = JSON.stringify(body);
      if (!head.has("content-type")) head.set("content-type", "application/json");
    }
  }
  const nullBody = status === 204 || status === 205 || status === 304;
  return () => new Response(nullBody ? null : init, { status: status as number, headers: head });
};

/**
 * An interceptor with its compiled checks; `MockTransport` matches requests
 * against these.
 */
export class CompiledInterceptor implements Interceptor {
  /** What it matches, for messages. */
  readonly description: string;
  /** Whether a check reads the body. */
  readonly needsBody: boolean;
  /** How it answers (unset until `reply` or `fail`). */
  answer: MockHandler | undefined;
  /** Milliseconds before answering. */
  delayMs = 0;
  /** Each check with its weight: a different URL puts an interceptor farther away than a different header. */
  #checks: ReadonlyArray<readonly [Check, number]>;
  #uses = 0;
  #times = 1;

  /** Compiles `spec`; throws `InvalidOptions` naming a bad field. */
  constructor(spec: InterceptSpec) {
    if (typeof spec !== "object" || spec === null) bad("on(spec)", spec, "an object such as { method, path }");
    for (const key of Object.keys(spec)) {
      if (!SPEC_KEYS.has(key)) bad(`on(spec).${key}`, key, `one of ${[...SPEC_KEYS].join(", ")}`);
    }
    if (spec.url !== undefined && spec.path !== undefined) bad("path", spec.path, "either `url` or `path`, not both");
    const checks: Array<readonly [Check, number]> = [];
    const parts: Array<string> = [];
    if (spec.method !== undefined) {
      if (typeof spec.method !== "string" || !/^[!#$%&'*+.^_`|~\w-]+$/.test(spec.method)) {
        bad("method", spec.method, 'an HTTP method such as "GET"');
      }
      const method = spec.method.toUpperCase();
      checks.push([
        (v) => (v.method.toUpperCase() === method ? undefined : `method: expected ${method}, got ${v.method}`),
        3,
      ]);
      parts.push(method);
    } else parts.push("*");
    const where = spec.url !== undefined ? "url" : spec.path !== undefined ? "path" : undefined;
    if (where !== undefined) {
      const { check, shown } = locationCheck(where, spec[where]);
      checks.push([check, 10]);
      parts.push(shown);
    } else parts.push("(any URL)");
    if (spec.query !== undefined) {
      if (typeof spec.query !== "object" || spec.query === null) bad("query", spec.query, "an object of parameters");
      for (const [key, value] of Object.entries(spec.query)) checks.push([queryCheck(key, value), 1]);
      parts.push(`query ${showQuery(new URLSearchParams(Object.entries(spec.query).map(([k, v]) => [k, String(v)])))}`);
    }
    if (spec.headers !== undefined) {
      if (typeof spec.headers !== "object" || spec.headers === null) {
        bad("headers", spec.headers, "an object of headers");
      }
      for (const [name, value] of Object.entries(spec.headers)) {
        checks.push([headerCheck(name.toLowerCase(), value), 1]);
      }
      parts.push(`headers ${Object.keys(spec.headers).map((n) => n.toLowerCase()).join(", ")}`);
    }
    this.needsBody = spec.body !== undefined;
    if (spec.body !== undefined) {
      const { check, shown } = bodyCheck(spec.body);
      checks.push([check, 1]);
      parts.push(`body ${shown}`);
    }
    this.#checks = checks;
    this.description = parts.join(" ");
  }

  /** How many requests it answered. */
  get uses(): number {
    return this.#uses;
  }
  /** How many it may answer. */
  get limit(): number {
    return this.#times;
  }
  /** Whether it may answer another request. */
  get live(): boolean {
    return this.#uses < this.#times;
  }
  /** What differs between `view` and this interceptor's spec (none: it matches), and how far that is. */
  compare(view: RequestView): { readonly differences: Array<string>; readonly distance: number } {
    const differences: Array<string> = [];
    let distance = 0;
    for (const [check, weight] of this.#checks) {
      const difference = check(view);
      if (difference !== undefined) {
        differences.push(difference);
        distance += weight;
      }
    }
    return { differences, distance };
  }
  /** Counts one use. */
  use(): void {
    this.#uses++;
  }
  /** Its uses in words: `"used 1 of 2"`. */
  usesText(): string {
    return `used ${this.#uses} of ${this.#times === Infinity ? "unlimited" : this.#times}`;
  }

  reply(status: number | MockHandler, body?: unknown, headers?: HeadersInit): Interceptor {
    this.answer = typeof status === "function" ? status : staticReply(status, body, headers);
    return this;
  }
  fail(error: TransportError | ((request: Request) => TransportError)): Interceptor {
    if (!(error instanceof TransportErrorBase) && typeof error !== "function") {
      bad("fail(error)", error, "a TransportError (e.g. new ConnectError(request)) or (request) => TransportError");
    }
    this.answer = typeof error === "function"
      ? (request) => Effect.fail((error as (request: Request) => TransportError)(request))
      : () => Effect.fail(error as TransportError);
    return this;
  }
  times(n: number): Interceptor {
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1) bad("times(n)", n, "a whole number, 1 or more");
    this.#times = n;
    return this;
  }
  persist(): Interceptor {
    this.#times = Infinity;
    return this;
  }
  delay(ms: number): Interceptor {
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) bad("delay(ms)", ms, "milliseconds, 0 or more");
    this.delayMs = ms;
    return this;
  }
}

/**
 * The first live interceptor that matches `view` (registration order), its
 * use counted; `undefined` when none does.
 */
export const take = (
  interceptors: ReadonlyArray<CompiledInterceptor>,
  view: RequestView,
): CompiledInterceptor | undefined => {
  for (const interceptor of interceptors) {
    if (interceptor.live && interceptor.compare(view).distance === 0) {
      interceptor.use();
      return interceptor;
    }
  }
  return undefined;
};

/**
 * The interceptors nearest to `view`, nearest first (a different URL or path
 * weighs most, then the method, then each other field; a used-up one says
 * so), at most `max`.
 */
export const nearMisses = (
  interceptors: ReadonlyArray<CompiledInterceptor>,
  view: RequestView,
  max = 3,
): Array<NearMiss> =>
  interceptors
    .map((interceptor, order) => {
      const { differences, distance } = interceptor.compare(view);
      if (!interceptor.live) differences.push(`already used up (${interceptor.usesText()})`);
      return {
        order,
        distance: distance + (interceptor.live ? 0 : 1),
        miss: { candidate: interceptor.description, differences },
      };
    })
    .sort((a, b) => a.distance - b.distance || a.order - b.order)
    .slice(0, max)
    .map(({ miss }) => miss);

/** The request beyond its method and URL, for the message of an unmatched request: its body, redacted. */
export const describeAsked = (view: RequestView): string =>
  view.body === undefined || view.body === "" ? "" : `body ${bodyExcerpt(view.body, view.headers.get("content-type"))}`;
