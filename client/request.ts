/**
 * Turning `fetch`-style arguments into a web `Request`: base URL resolution,
 * default headers, and typed errors for bad input. Everything that can be
 * prepared once (the base URL, the default headers) is prepared once by
 * `makeRequestBuilder`.
 *
 * @module
 */
import { InvalidOptions, InvalidUrl, LocalProtocolError } from "../core/errors.ts";
import { redactUrl } from "../core/redact.ts";
import { rememberBody } from "../core/body_source.ts";
import { markUnabortable } from "../core/transport.ts";

/**
 * Anything `fetch` takes as its first argument.
 *
 * @example
 * ```ts
 * import type { RequestInput } from "@switchyard/switchyard";
 * const inputs: RequestInput[] = ["/users", new URL("http://api.test/"), new Request("http://api.test/")];
 * ```
 */
export type RequestInput = string | URL | Request;

/** Builds the `Request` for one call; throws `InvalidUrl` or `LocalProtocolError`. */
export type RequestBuilder = (input: RequestInput, init: RequestInit | undefined) => Request;

/** The URL an error names for `input` (userinfo and secrets are redacted by the error itself). */
const urlOf = (input: RequestInput): string => String(input instanceof Request ? input.url : input);
/** Leading and trailing C0 controls and spaces, which the URL parser strips. */
// deno-lint-ignore no-control-regex -- the URL parser strips exactly these
const C0_EDGES = /^[\x00-\x20]+|[\x00-\x20]+$/g;
/** `scheme:` at the start of a string: an absolute URL. */
const ABSOLUTE = /^[a-zA-Z][a-zA-Z\d+.-]*:/;
/** An HTTP method token (RFC 9110 §5.6.2); Bun's `Request` accepts anything. */
const METHOD_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COMMON_METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);
/** The methods fetch upper-cases whatever their case (the Fetch standard's "normalize a method"). */
const NORMALIZED = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
const normalizeMethod = (method: string): string => {
  const upper = method.toUpperCase();
  return NORMALIZED.has(upper) ? upper : method;
};
/**
 * CR, LF or NUL inside a header value, once the leading and trailing HTTP
 * whitespace the platform trims is gone: refused (Deno's Headers would keep
 * `"a\r\nb "` as `""`, silently).
 */
const CONTROL = /[\r\n\0]/;
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;
const hasControl = (value: string): boolean => CONTROL.test(value) && CONTROL.test(value.replace(EDGE_WHITESPACE, ""));

/** The first header of a plain `HeadersInit` (not Headers, which the platform already checked) holding CR/LF/NUL. */
const controlHeader = (headers: HeadersInit | undefined): string | undefined => {
  if (headers === undefined || headers === null || headers instanceof Headers || typeof headers !== "object") {
    return undefined;
  }
  if (Array.isArray(headers)) {
    for (const pair of headers) {
      if (Array.isArray(pair) && typeof pair[1] === "string" && hasControl(pair[1])) return String(pair[0]);
    }
    return undefined;
  }
  for (const name in headers) {
    const value = (headers as Record<string, unknown>)[name];
    if (typeof value === "string" && hasControl(value)) return name;
  }
  return undefined;
};

/**
 * Parses and checks the `baseUrl` option: an absolute http(s) URL. Its path
 * gets a trailing slash so that relative paths are appended to it (HTTPX's
 * rule: base `http://x/api` + `/users` is `http://x/api/users`).
 */
export const parseBaseUrl = (baseUrl: string | URL): URL => {
  let url: URL;
  try {
    url = new URL(String(baseUrl));
  } catch {
    throw new InvalidOptions({
      option: "baseUrl",
      received: JSON.stringify(redactUrl(String(baseUrl))),
      expected: 'an absolute URL such as "https://api.example.com/v1"',
    });
  }
  if (url.search || url.hash) {
    throw new InvalidOptions({
      option: "baseUrl",
      received: JSON.stringify(redactUrl(url)),
      expected: "a URL without a query or fragment (pass those per request)",
    });
  }
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
};

/** Parses and checks the `headers` option once, refusing CR/LF/NUL in values. */
export const parseDefaultHeaders = (headers: HeadersInit | undefined): Headers | undefined => {
  if (headers === undefined) return undefined;
  const controlled = controlHeader(headers);
  if (controlled !== undefined) {
    throw new InvalidOptions({
      option: `headers[${JSON.stringify(controlled)}]`,
      received: "a value with CR, LF or NUL (the value is not shown: it may be a secret)",
      expected: "header values without CR, LF or NUL",
    });
  }
  try {
    const parsed = new Headers(headers);
    return [...parsed.keys()].length === 0 ? undefined : parsed;
  } catch {
    const problem = headersProblem(headers);
    throw new InvalidOptions({
      option: `headers${problem.at ?? ""}`,
      received: problem.received,
      expected: "a HeadersInit (an object, an array of [name, value] pairs or Headers) with header names that are " +
        "HTTP tokens and values without CR, LF or NUL",
    });
  }
};

/**
 * What is wrong with a `headers` value the platform refused, for messages:
 * where (`["x-name"]` or `[2]`) and what, never the value itself (it may be a
 * secret). Never throws, whatever it is given.
 */
const headersProblem = (headers: unknown): { readonly at?: string; readonly received: string } => {
  if (headers === null || (typeof headers !== "object" && typeof headers !== "function")) {
    return { received: headers === null ? "null" : typeof headers };
  }
  const check = (name: unknown, value: unknown, at: string) => {
    if (typeof name !== "string") return { at, received: `a header name that is ${typeof name}, not a string` };
    try {
      new Headers([[name, String(value)]]);
      return undefined;
    } catch {
      return {
        at: `[${JSON.stringify(name)}]`,
        received: "a header name or value that is not allowed (the value is not shown: it may be a secret)",
      };
    }
  };
  try {
    if (headers instanceof Headers) return { received: "Headers that the platform refused" };
    if (Symbol.iterator in headers) {
      let i = 0;
      for (const pair of headers as Iterable<unknown>) {
        if (!Array.isArray(pair) || pair.length !== 2) {
          return {
            at: `[${i}]`,
            received: `${Array.isArray(pair) ? `a pair of ${pair.length}` : typeof pair}, not a [name, value] pair`,
          };
        }
        const problem = check(pair[0], pair[1], `[${i}]`);
        if (problem !== undefined) return problem;
        i++;
      }
      return { received: "an iterable the platform refused" };
    }
    for (const [name, value] of Object.entries(headers)) {
      const problem = check(name, value, `[${JSON.stringify(name)}]`);
      if (problem !== undefined) return problem;
    }
  } catch {
    // A getter or iterator that throws: say so, without its message.
  }
  return { received: "a value the platform refused as headers" };
};

/**
 * Resolves `input` against `base`: absolute URLs are passed on as strings
 * (`new Request` parses them once; a failure there becomes `InvalidUrl`);
 * anything else is appended to the base path.
 */
const resolveUrl = (input: string, base: string | undefined, method: string): string => {
  // The URL parser drops leading and trailing C0 controls and spaces (" http://x/ " is http://x/).
  if (input.charCodeAt(0) <= 0x20 || input.charCodeAt(input.length - 1) <= 0x20) input = input.replace(C0_EDGES, "");
  if (ABSOLUTE.test(input)) return input;
  if (base === undefined) {
    throw new InvalidUrl({ method, url: input }, { detail: "a relative URL needs the client's `baseUrl`" });
  }
  // "/users" and "users" both land under the base path (which ends with "/").
  return base + (input.charCodeAt(0) === 47 /* "/" */ ? input.slice(1) : input);
};

/**
 * Prepares, once per client, the function that builds each call's Request.
 *
 * @example
 * ```ts
 * import { makeRequestBuilder } from "./request.ts";
 * const build = makeRequestBuilder({ baseUrl: "http://api.test/v1", headers: { accept: "application/json" } });
 * const request = build("/users", { method: "GET" });
 * request.url; // "http://api.test/v1/users"
 * ```
 */
export const makeRequestBuilder = (
  options: { readonly baseUrl?: string | URL; readonly headers?: HeadersInit },
): RequestBuilder => {
  const base = options.baseUrl === undefined ? undefined : parseBaseUrl(options.baseUrl).href;
  const defaults = parseDefaultHeaders(options.headers);
  return (input, init) => {
    let method: string;
    const asked: unknown = init?.method;
    if (asked === undefined) method = input instanceof Request ? input.method : "GET";
    else if (typeof asked === "string") method = asked;
    else {
      // WebIDL makes a string of anything else, as fetch does (`method: null` is the method "null").
      try {
        if (typeof asked === "symbol") throw asked;
        method = String(asked);
      } catch {
        throw new LocalProtocolError({ method: "?", url: urlOf(input) }, {
          detail: `init.method is a ${typeof asked} that cannot be made a string: pass a method name such as "GET"`,
        });
      }
      init = { ...init, method };
    }
    if (!COMMON_METHODS.has(method)) {
      if (!METHOD_TOKEN.test(method)) {
        throw new LocalProtocolError({ method: "?", url: urlOf(input) }, {
          detail: `method ${JSON.stringify(method)} is not an HTTP token`,
        });
      }
      // fetch upper-cases `post` and friends itself; Bun's Request would send some spellings as GET.
      const normalized = normalizeMethod(method);
      if (normalized !== method) init = { ...init, method: normalized };
    }
    if (init?.body != null) {
      const upper = method.toUpperCase();
      if (upper === "GET" || upper === "HEAD") throw bodyOnGet(upper, urlOf(input), true);
    } else if (input instanceof Request) {
      // The Request's own body goes with it: refused where fetch refuses it.
      const refused = refusedBody(input, method);
      if (refused !== undefined) throw refused;
    }
    const controlled = controlHeader(init?.headers);
    if (controlled !== undefined) {
      throw new LocalProtocolError({ method, url: urlOf(input) }, {
        detail: `init.headers["${controlled}"] has CR, LF or NUL in its value (refused; the value is not shown)`,
      });
    }
    let target: string | URL | Request;
    if (input instanceof Request) target = input;
    else if (typeof input === "string") target = resolveUrl(input, base, method);
    else target = input;
    try {
      if (init === undefined && target instanceof Request && defaults === undefined) return target;
      const request = new Request(target, init);
      // A runtime that would send another method than asked (Bun sends `Patch` or `FOO` as GET) is refused.
      if (init?.method !== undefined && !COMMON_METHODS.has(init.method) && request.method !== init.method) {
        throw new LocalProtocolError({ method: init.method, url: request.url }, {
          detail: `this runtime's Request would send the method ${JSON.stringify(init.method)} as ` +
            `${request.method} (Bun keeps only the methods it knows, upper-cased): refused rather than changed`,
        });
      }
      // A Request input brings its own signal; otherwise only `init.signal` could abort it.
      if (!(target instanceof Request) && (init?.signal ?? null) === null) markUnabortable(request);
      // What the body was made from, so a retry or a failover can send it again without a copy made up front.
      if (init?.body != null) rememberBody(request, init.body);
      // Defaults sit under what the caller set.
      if (defaults !== undefined) {
        for (const [name, value] of defaults) if (!request.headers.has(name)) request.headers.set(name, value);
      }
      return request;
    } catch (cause) {
      throw cause instanceof LocalProtocolError ? cause : classifyBuildError(cause, method, target, init);
    }
  };
};

const bodyOnGet = (method: string, url: string, fromInit: boolean): LocalProtocolError =>
  new LocalProtocolError({ method, url }, {
    detail: `a ${method} request cannot have a body (${fromInit ? "init.body" : "the Request's"} was given): ` +
      "send the body with POST, PUT or PATCH, or leave it out",
  });

const usedBody = (request: Request): LocalProtocolError =>
  new LocalProtocolError(request, {
    detail: "the Request's body has already been read (bodyUsed is true), and a body is sent once: build a new " +
      "Request, or pass request.clone() made before reading it",
  });

/**
 * The error for a Request whose body cannot be sent as `method` (its own by
 * default): a body already read (fetch sends a body once), or a GET or HEAD
 * with a body (Bun's Request builds one; Deno's, like the Fetch standard,
 * refuses to). `undefined` when it can be sent. The body itself is looked at
 * only for a GET or HEAD: reading a Request's `body` makes Bun forget what
 * it was made from (a string would become a stream no redirect may re-send).
 *
 * @example
 * ```ts
 * import { refusedBody } from "./request.ts";
 * refusedBody(new Request("http://x.test/")); // undefined
 * refusedBody(new Request("http://x.test/", { method: "POST", body: "x" }), "GET")?._tag; // "LocalProtocolError"
 * ```
 */
export const refusedBody = (request: Request, method: string = request.method): LocalProtocolError | undefined => {
  if (request.bodyUsed) return usedBody(request);
  const upper = method.toUpperCase();
  return (upper === "GET" || upper === "HEAD") && request.body !== null
    ? bodyOnGet(upper, request.url, false)
    : undefined;
};

/** The RequestInit members with a fixed set of values (the Fetch standard's enums). */
const INIT_ENUMS: Readonly<Record<string, ReadonlyArray<string>>> = {
  redirect: ["follow", "error", "manual"],
  mode: ["navigate", "same-origin", "no-cors", "cors"],
  credentials: ["omit", "same-origin", "include"],
  cache: ["default", "no-store", "reload", "no-cache", "force-cache", "only-if-cached"],
  referrerPolicy: [
    "",
    "no-referrer",
    "no-referrer-when-downgrade",
    "same-origin",
    "origin",
    "strict-origin",
    "origin-when-cross-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
  ],
  duplex: ["half"],
  priority: ["high", "low", "auto"],
};
/** Methods the Fetch standard forbids (Deno refuses them; Bun's fetch sends CONNECT and TRACE). */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

/** WebIDL's string of `value`, or `undefined` when it has none (a symbol, a throwing `toString`). */
const stringOf = (value: unknown): string | undefined => {
  try {
    return typeof value === "symbol" ? undefined : String(value);
  } catch {
    return undefined;
  }
};

/** Which member of `init` the runtime refused, and what it takes instead; `undefined` when none is wrong. */
const initProblem = (init: RequestInit | undefined, method: string): string | undefined => {
  if (init !== undefined && init !== null && typeof init !== "object" && typeof init !== "function") {
    return `init is a ${typeof init}: pass an object (fetch's RequestInit) or nothing`;
  }
  if (FORBIDDEN_METHODS.has(method.toUpperCase())) {
    return `the method ${method.toUpperCase()} is forbidden by fetch (CONNECT, TRACE and TRACK are): use another method`;
  }
  if (init === undefined || init === null) return undefined;
  const signal = (init as { signal?: unknown }).signal;
  if (signal !== undefined && signal !== null && !(signal instanceof AbortSignal)) {
    return "init.signal is not an AbortSignal: pass one (an AbortController's, AbortSignal.timeout(ms)) or null";
  }
  for (const name in INIT_ENUMS) {
    const value = (init as Record<string, unknown>)[name];
    const text = value === undefined ? undefined : stringOf(value);
    if (value !== undefined && (text === undefined || !INIT_ENUMS[name]!.includes(text))) {
      const allowed = INIT_ENUMS[name]!.filter((v) => v !== "").map((v) => JSON.stringify(v)).join(", ");
      return `init.${name} is ${typeof value === "string" ? JSON.stringify(value) : `a ${typeof value}`}: ` +
        `use one of ${allowed}`;
    }
  }
  const windowValue = (init as { window?: unknown }).window;
  if (windowValue !== undefined && windowValue !== null) return "init.window can only be null";
  return undefined;
};

/** A `new Request` failure, as a typed error that never echoes header values. */
const classifyBuildError = (
  cause: unknown,
  method: string,
  target: string | URL | Request,
  init: RequestInit | undefined,
): InvalidUrl | LocalProtocolError => {
  const url = target instanceof Request ? target.url : String(target);
  const body = init?.body;
  // A stream is read once: one a reader holds (reading it to the end keeps it locked) cannot be sent.
  if (body instanceof ReadableStream && body.locked) {
    return new LocalProtocolError({ method, url }, {
      detail: "init.body is a ReadableStream that is locked or already read: a stream is sent once; pass a new one",
    });
  }
  if (init?.headers !== undefined) {
    // Was it the headers? Headers built from them tell.
    let headersAtFault = false;
    try {
      new Headers(init.headers);
    } catch {
      headersAtFault = true;
    }
    if (headersAtFault) {
      const problem = headersProblem(init.headers);
      return new LocalProtocolError({ method, url }, {
        detail: `init.headers${problem.at ?? ""} is ${problem.received}; pass an object, [name, value] pairs or ` +
          "Headers, with no CR, LF or NUL in values",
      });
    }
  }
  const problem = initProblem(init, method);
  if (problem !== undefined) return new LocalProtocolError({ method, url }, { detail: problem });
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/url/i.test(message)) return new InvalidUrl({ method, url }, { detail: "not a valid URL" });
  // The runtime's message may quote header values or bodies: keep it out of `detail`.
  return new LocalProtocolError({ method, url }, {
    detail: `the runtime refused to build the request (${cause instanceof Error ? cause.name : "error"})`,
  });
};
