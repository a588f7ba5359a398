/**
 * The whole error tree. Every node is a class (so `instanceof` works for
 * Promise callers) and a tagged error (so `Effect.catchTag` works for Effect
 * callers); the same instance travels through both faces.
 *
 * ```
 * SwitchyardError                    every error Switchyard raises (extends Error)
 * ├── TransportError                 a transport could not produce a response
 * │   ├── TimeoutError
 * │   │   ├── ConnectTimeout         never sent: safe to retry, whatever the method
 * │   │   ├── ReadTimeout
 * │   │   ├── WriteTimeout
 * │   │   └── PoolTimeout            never sent: safe to retry
 * │   ├── NetworkError
 * │   │   ├── ConnectError           never sent: safe to retry, whatever the method
 * │   │   ├── ReadError
 * │   │   └── WriteError
 * │   ├── ProtocolError
 * │   │   ├── LocalProtocolError     the request itself is malformed (e.g. CR/LF in a header)
 * │   │   └── RemoteProtocolError    the peer broke HTTP (garbage, closed before answering)
 * │   ├── ProxyError                 the proxy refused, failed or asked for credentials
 * │   ├── UnsupportedProtocol        no transport speaks this URL's scheme
 * │   ├── AppError                   an in-process handler threw
 * │   ├── CredentialsError           a credential source (a bearer token function) failed: never sent
 * │   ├── UnmatchedRequest           a mock had no interceptor for it (shows the closest ones)
 * │   ├── UnrecordedRequest          a replay had no recorded entry for it (shows the nearest ones)
 * │   ├── CircuitOpen                never sent: a circuit breaker refused it (`circuitBreaker`)
 * │   ├── NoHealthyUpstream          never sent: every upstream of a `balance` is ejected
 * │   ├── RetryAfterTooLong          the server asked to wait longer than `retry` may (policy "fail")
 * │   └── BlockedAddress             the SSRF guard refused the address (never sent)
 * ├── InvalidUrl                     above the transport: the URL could not be built
 * ├── TooManyRedirects
 * ├── RedirectRefused                `redirect: "error"`, or a 307/308 that would re-send a one-shot body
 * ├── HttpStatusError                raised on request by `raiseForStatus`
 * ├── DecodingError                  a body did not decode or did not match its schema
 * ├── InvalidOptions                 a bad option, found at construction
 * └── UnusedInterceptors             `mock.assertAllUsed()`: interceptors the code under test never used up
 * ```
 *
 * Every request-bound error carries the request's `method` and `url` (with
 * credentials redacted), a `detail` and the underlying `cause`.
 *
 * Redaction (core/redact.ts, widened by `configureRedaction`) applies to
 * everything an error stores or prints: `url`, `detail`, `message` (so
 * `String(e)`, `toJSON()` and the first line of `stack`), and
 * `InvalidOptions.received`. The `cause` is the thrower's own value (an
 * app's `Error`, a runtime's `TypeError`) and is kept as it is, never
 * rewritten or copied, so `e.cause instanceof MyError` and its fields keep
 * working; only our description of it (`detail`) is redacted. It is not
 * enumerable, so `JSON.stringify` and loggers that print own fields skip
 * it, but anything that walks the cause chain (Effect's `Cause.pretty`,
 * `console.log(e.cause)`) prints the thrower's own text.
 *
 * @module
 */
import { Data } from "effect";
import { redactText, redactUrl } from "./redact.ts";

/**
 * The part of a request an error needs: a `Request` satisfies it.
 *
 * @example
 * ```ts
 * import { ReadError, type RequestLike } from "@switchyard/switchyard";
 * const request: RequestLike = { method: "GET", url: "http://x.test/" };
 * const error = new ReadError(request);
 * ```
 */
export interface RequestLike {
  /** The HTTP method. */
  readonly method: string;
  /** The absolute URL (redacted before it is stored on an error). */
  readonly url: string;
}

/**
 * The fields every request-bound error carries.
 *
 * @example
 * ```ts
 * import { ConnectError, type RequestErrorFields } from "@switchyard/switchyard";
 * const fields: RequestErrorFields = new ConnectError({ method: "GET", url: "http://x.test/" });
 * fields.detail;
 * ```
 */
export interface RequestErrorFields {
  /** The request's method, e.g. `"GET"`. */
  readonly method: string;
  /** The request's URL with credentials redacted. */
  readonly url: string;
  /** What went wrong, in words, without credentials. */
  readonly detail: string;
  /** The underlying error, if any (a runtime `TypeError`, a thrown value, ...). */
  readonly cause?: unknown;
}

/**
 * Options for building a request-bound error.
 *
 * @example
 * ```ts
 * import { ReadError, type RequestErrorOptions } from "@switchyard/switchyard";
 * const options: RequestErrorOptions = { detail: "connection reset", cause: new Error("ECONNRESET") };
 * new ReadError({ method: "GET", url: "http://x.test/" }, options);
 * ```
 */
export interface RequestErrorOptions {
  /** What went wrong, in words. Must not contain credentials. */
  readonly detail?: string;
  /** The underlying error. */
  readonly cause?: unknown;
}

/**
 * The root of the tree: every error Switchyard raises is one.
 *
 * @example
 * ```ts
 * import { Client, MockTransport, SwitchyardError } from "@switchyard/switchyard";
 * const client = Client.make({ transport: MockTransport.make(() => new Response("ok")) });
 * try {
 *   await client.fetch("not a url");
 * } catch (e) {
 *   if (e instanceof SwitchyardError) console.log(e._tag, e.message);
 * }
 * ```
 */
export abstract class SwitchyardError extends Data.Error<{ readonly message: string }> {
  /** The discriminator used by `Effect.catchTag`. */
  abstract readonly _tag: string;
  /**
   * `instanceof SwitchyardError` (and `instanceof RequestError`) hold for both
   * branches of the tree, the plain one and the one that is also a
   * `TypeError` (see the end of this module).
   */
  static override [Symbol.hasInstance](u: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, u)) return true;
    return ((this as unknown) === SwitchyardError || (this as unknown) === RequestError) &&
      typeof u === "object" && u !== null && Object.prototype.isPrototypeOf.call(FETCH_LIKE, u);
  }
  /** The class name, so stack traces and logs say what happened. */
  override get name(): string {
    return this._tag;
  }
}

/**
 * Base of every error that names a request.
 *
 * @example
 * ```ts
 * import { ConnectError, RequestError } from "@switchyard/switchyard";
 * const e = new ConnectError({ method: "GET", url: "http://x.test/" });
 * e instanceof RequestError; // true
 * ```
 */
export abstract class RequestError extends SwitchyardError implements RequestErrorFields {
  /** The request's method. */
  readonly method: string;
  /** The request's URL, credentials redacted. */
  readonly url: string;
  /** What went wrong. */
  readonly detail: string;
  /** The underlying error, if any. */
  declare readonly cause?: unknown;
  /** Builds the error; see the class docs for the arguments. */
  constructor(
    request: RequestLike,
    options: RequestErrorOptions | undefined,
    summary: string,
    advice: string,
  ) {
    // Tolerant of a malformed `request` (a hand-built one): an error constructor must not throw.
    const method = String(request?.method ?? "?");
    const url = redactUrl(String(request?.url ?? ""));
    // One rule for every text stored: the detail may quote a URL or a thrower's message.
    const detail = redactText(options?.detail ?? describeCause(options?.cause));
    super({
      message: `${summary}: ${method} ${url}${detail ? ` (${detail})` : ""}.${advice ? ` ${advice}` : ""}`,
    });
    this.method = method;
    this.url = url;
    this.detail = detail;
    if (options?.cause !== undefined) {
      Object.defineProperty(this, "cause", { value: options.cause, enumerable: false, writable: true });
    }
  }
}

/** A short description of a cause, for messages (redacted by the caller). Never throws, whatever was thrown. */
const describeCause = (cause: unknown): string => {
  if (cause === undefined) return "";
  try {
    const inner = cause instanceof Error && cause.cause instanceof Error ? `: ${cause.cause.message}` : "";
    return cause instanceof Error ? `${cause.message}${inner}` : String(cause);
  } catch {
    return "a value that cannot be shown as text";
  }
};

/**
 * Base of errors raised by a transport. Use `isTransportError` to test for the
 * whole group, or the `TransportError` union type in an error channel.
 *
 * @example
 * ```ts
 * import { ReadError, TransportErrorBase } from "@switchyard/switchyard";
 * new ReadError({ method: "GET", url: "http://x.test/" }) instanceof TransportErrorBase; // true
 * ```
 */
export abstract class TransportErrorBase extends RequestError {}

/**
 * Base of the four timeouts.
 *
 * @example
 * ```ts
 * import { ReadTimeout, TimeoutErrorBase } from "@switchyard/switchyard";
 * new ReadTimeout({ method: "GET", url: "http://x.test/" }) instanceof TimeoutErrorBase; // true
 * ```
 */
export abstract class TimeoutErrorBase extends TransportErrorBase {}

/**
 * Base of connect, read and write failures.
 *
 * @example
 * ```ts
 * import { ConnectError, NetworkErrorBase } from "@switchyard/switchyard";
 * new ConnectError({ method: "GET", url: "http://x.test/" }) instanceof NetworkErrorBase; // true
 * ```
 */
export abstract class NetworkErrorBase extends TransportErrorBase {}

/**
 * Base of the two protocol errors.
 *
 * @example
 * ```ts
 * import { ProtocolErrorBase, RemoteProtocolError } from "@switchyard/switchyard";
 * new RemoteProtocolError({ method: "GET", url: "http://x.test/" }) instanceof ProtocolErrorBase; // true
 * ```
 */
export abstract class ProtocolErrorBase extends TransportErrorBase {}

const NOT_SENT = "The request was never sent, so it is safe to retry.";
const MAYBE_SENT = "The request may have reached the server; retry only if it is idempotent.";

/**
 * The connection could not be made (refused, DNS failure, socket file missing,
 * TLS handshake refused). The request provably never left.
 *
 * @example
 * ```ts
 * import { ConnectError } from "@switchyard/switchyard";
 * const e = new ConnectError({ method: "GET", url: "http://x.test/" }, { detail: "connection refused" });
 * e.message; // "Could not connect: GET http://x.test/ (connection refused). The request was never sent, ..."
 * ```
 */
export class ConnectError extends NetworkErrorBase {
  /** Tag. */
  readonly _tag = "ConnectError" as const;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, options?: RequestErrorOptions) {
    super(request, options, "Could not connect", NOT_SENT);
  }
}

/**
 * The connect deadline passed before a connection existed.
 *
 * @example
 * ```ts
 * import { ConnectTimeout } from "@switchyard/switchyard";
 * new ConnectTimeout({ method: "POST", url: "http://x.test/" }, { detail: "after 2000 ms" });
 * ```
 */
export class ConnectTimeout extends TimeoutErrorBase {
  /** Tag. */
  readonly _tag = "ConnectTimeout" as const;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, options?: RequestErrorOptions) {
    super(request, options, "Timed out connecting", NOT_SENT);
  }
}

/**
 * The response (headers or body) did not arrive in time.
 *
 * @example
 * ```ts
 * import { ReadTimeout } from "@switchyard/switchyard";
 * new ReadTimeout({ method: "GET", url: "http://x.test/" }, { detail: "no response after 500 ms" });
 * ```
 */
export class ReadTimeout extends TimeoutErrorBase {
  /** Tag. */
  readonly _tag = "ReadTimeout" as const;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, options?: RequestErrorOptions) {
    super(request, options, "Timed out waiting for the response", MAYBE_SENT);
  }
}

/**
 * The request body could not be sent in time.
 *
 * @example
 * ```ts
 * import { WriteTimeout } from "@switchyard/switchyard";
 * new WriteTimeout({ method: "PUT", url: "http://x.test/" });
 * ```
 */
export class WriteTimeout extends TimeoutErrorBase {
  /** Tag. */
  readonly _tag = "WriteTimeout" as const;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, options?: RequestErrorOptions) {
    super(request, options, "Timed out sending the request", MAYBE_SENT);
  }
}

/**
 * No connection slot became free in time. The request never left.
 *
 * @example
 * ```ts
 * import { PoolTimeout } from "@switchyard/switchyard";
 * new PoolTimeout({ method: "GET", url: "http://x.test/" });
 * ```
 */
export class PoolTimeout extends TimeoutErrorBase {
  /** Tag. */
  readonly _tag = "PoolTimeout" as const;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, options?: RequestErrorOptions) {
    super(request, options, "Timed out waiting for a free connection", NOT_SENT);
  }
}

/**
 * The connection failed while the response was being received.
 *
 * @example
 * ```ts
 * import { ReadError } from "@switchyard/switchyard";
 * new ReadError({ method: "GET", url: "http://x.test/" }, { detail: "connection reset mid-body" });
 * ```
 */
export class ReadError extends NetworkErrorBase {
  /** Tag. */
  readonly _tag = "ReadError" as const;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, options?: RequestErrorOptions) {
    super(request, options, "Failed reading the response", MAYBE_SENT);
  }
}

/**
 * The connection failed while the request was being sent.
 *
 * @example
 * ```ts
 * import { WriteError } from "@switchyard/switchyard";
 * new WriteError({ method: "POST", url: "http://x.test/" });
 * ```
 */
export class WriteError extends NetworkErrorBase {
  /** Tag. */
  readonly _tag = "WriteError" as const;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, options?: RequestErrorOptions) {
    super(request, options, "Failed sending the request", MAYBE_SENT);
  }
}

/**
 * The request is malformed and was refused before it was sent (for example a
 * header value containing CR or LF).
 *
 * @example
 * ```ts
 * import { LocalProtocolError } from "@switchyard/switchyard";
 * new LocalProtocolError({ method: "GET", url: "http://x.test/" }, { detail: "header x-a contains CR/LF" });
 * ```
 */
export class LocalProtocolError extends ProtocolErrorBase {
  /** Tag. */
  readonly _tag = "LocalProtocolError" as const;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, options?: RequestErrorOptions) {
    super(request, options, "Refused to send a malformed request", "Fix the request; it was not sent.");
  }
}

/**
 * The peer broke the HTTP protocol: garbage instead of a status line, or the
 * connection closed before any response.
 *
 * @example
 * ```ts
 * import { RemoteProtocolError } from "@switchyard/switchyard";
 * new RemoteProtocolError({ method: "GET", url: "http://x.test/" }, { detail: "server closed the connection" });
 * ```
 */
export class RemoteProtocolError extends ProtocolErrorBase {
  /** Tag. */
  readonly _tag = "RemoteProtocolError" as const;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, options?: RequestErrorOptions) {
    super(request, options, "The server broke the HTTP protocol", MAYBE_SENT);
  }
}

/**
 * The proxy could not be reached, refused the tunnel, or asked for credentials.
 *
 * @example
 * ```ts
 * import { ProxyError } from "@switchyard/switchyard";
 * new ProxyError({ method: "GET", url: "https://x.test/" }, { detail: "407 Proxy Authentication Required" });
 * ```
 */
export class ProxyError extends TransportErrorBase {
  /** Tag. */
  readonly _tag = "ProxyError" as const;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, options?: RequestErrorOptions) {
    super(request, options, "The proxy failed", "Check the proxy URL and its credentials.");
  }
}

/**
 * No transport speaks the URL's scheme (for example `ftp://`), or the scheme
 * is not mounted.
 *
 * @example
 * ```ts
 * import { UnsupportedProtocol } from "@switchyard/switchyard";
 * new UnsupportedProtocol({ method: "GET", url: "ftp://x.test/" });
 * ```
 */
export class UnsupportedProtocol extends TransportErrorBase {
  /** Tag. */
  readonly _tag = "UnsupportedProtocol" as const;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, options?: RequestErrorOptions) {
    super(
      request,
      options,
      "Unsupported protocol",
      "Use an http:// or https:// URL, or mount a transport for this scheme.",
    );
  }
}

/**
 * An in-process handler threw (or rejected) instead of returning a Response.
 * The thrown value is the `cause`.
 *
 * @example
 * ```ts
 * import { AppError } from "@switchyard/switchyard";
 * new AppError({ method: "GET", url: "http://app.test/" }, { cause: new Error("boom") });
 * ```
 */
export class AppError extends TransportErrorBase {
  /** Tag. */
  readonly _tag = "AppError" as const;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, options?: RequestErrorOptions) {
    super(
      request,
      options,
      "The in-process app threw",
      "See `cause`; pass `raiseAppExceptions: false` to get a 500 response instead.",
    );
  }
}

/**
 * The URL could not be built: not absolute and no `baseUrl`, or not a URL at all.
 *
 * @example
 * ```ts
 * import { InvalidUrl } from "@switchyard/switchyard";
 * new InvalidUrl({ method: "GET", url: "/users" }, { detail: "relative URL and no baseUrl" });
 * ```
 */
export class InvalidUrl extends RequestError {
  /** Tag. */
  readonly _tag = "InvalidUrl" as const;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, options?: RequestErrorOptions) {
    super(
      request,
      options,
      "Invalid URL",
      "Pass an absolute http(s) URL, or a path together with the client's `baseUrl`.",
    );
  }
}

/**
 * More redirects than `maxRedirects` were followed.
 *
 * @example
 * ```ts
 * import { TooManyRedirects } from "@switchyard/switchyard";
 * new TooManyRedirects({ method: "GET", url: "http://x.test/loop" }, { detail: "more than 20 redirects" });
 * ```
 */
export class TooManyRedirects extends RequestError {
  /** Tag. */
  readonly _tag = "TooManyRedirects" as const;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, options?: RequestErrorOptions) {
    super(
      request,
      options,
      "Too many redirects",
      'Raise `maxRedirects`, or pass `redirect: "manual"` to see the redirect responses.',
    );
  }
}

/**
 * A redirect that may not be followed: the call asked for `redirect:
 * "error"`, or a 307/308 would have to send a one-shot body (a
 * `ReadableStream`, an async iterable) again. Like fetch's network error for
 * these cases, it is also a `TypeError`.
 *
 * @example
 * ```ts
 * import { RedirectRefused } from "@switchyard/switchyard";
 * const e = new RedirectRefused({ method: "POST", url: "http://x.test/upload" }, { detail: "a 307 asks to re-send a streamed body" });
 * console.assert(e instanceof TypeError);
 * ```
 */
export class RedirectRefused extends RequestError {
  /** Tag. */
  readonly _tag = "RedirectRefused" as const;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, options?: RequestErrorOptions) {
    super(
      request,
      options,
      "Redirect not followed",
      'Pass `redirect: "manual"` to receive the redirect response itself, or send a body that can be re-sent.',
    );
  }
}

/**
 * A response had an error status (4xx or 5xx) and the caller asked for that
 * to fail (`raiseForStatus`). The response is attached, unread.
 *
 * @example
 * ```ts
 * import { HttpStatusError } from "@switchyard/switchyard";
 * const response = new Response("gone", { status: 404 });
 * const e = new HttpStatusError({ method: "GET", url: "http://x.test/" }, response);
 * e.status; // 404
 * await e.response.body?.cancel();
 * ```
 */
export class HttpStatusError extends RequestError {
  /** Tag. */
  readonly _tag = "HttpStatusError" as const;
  /** The status code. */
  readonly status: number;
  /** The response, body unread (non-enumerable, so logs stay small). */
  declare readonly response: Response;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, response: Response) {
    const kind = response.status >= 500 ? "Server error" : "Client error";
    super(
      request,
      { detail: `${response.status} ${response.statusText}`.trim() },
      `${kind} status`,
      "The response is on `error.response`.",
    );
    this.status = response.status;
    Object.defineProperty(this, "response", { value: response, enumerable: false });
  }
}

/**
 * One problem found while decoding a body.
 *
 * @example
 * ```ts
 * import type { DecodingIssue } from "@switchyard/switchyard";
 * const issue: DecodingIssue = { path: ["user", "id"], message: "expected number" };
 * ```
 */
export interface DecodingIssue {
  /** Where in the body, as a path of keys. */
  readonly path: ReadonlyArray<PropertyKey>;
  /** What was wrong. */
  readonly message: string;
}

/**
 * A body could not be parsed, or did not match the schema it was decoded with.
 * `issues` lists what was wrong and where.
 *
 * @example
 * ```ts
 * import { DecodingError } from "@switchyard/switchyard";
 * const e = new DecodingError({ method: "GET", url: "http://x.test/" }, [{ path: ["id"], message: "expected number" }]);
 * e.issues.length; // 1
 * ```
 */
export class DecodingError extends RequestError {
  /** Tag. */
  readonly _tag = "DecodingError" as const;
  /** What was wrong, and where. */
  readonly issues: ReadonlyArray<DecodingIssue>;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, issues: ReadonlyArray<DecodingIssue>, cause?: unknown) {
    super(
      request,
      {
        cause,
        detail: issues.map((i) => (i.path.length ? `at ${i.path.map(String).join(".")}: ${i.message}` : i.message))
          .join("; "),
      },
      "Could not decode the response body",
      "Check the schema against what the server sends.",
    );
    this.issues = issues;
  }
}

/**
 * The fields of an `InvalidOptions`.
 *
 * @example
 * ```ts
 * import { InvalidOptions, type InvalidOptionsFields } from "@switchyard/switchyard";
 * const fields: InvalidOptionsFields = { option: "timeout", received: "-1", expected: "a positive number" };
 * new InvalidOptions(fields);
 * ```
 */
export interface InvalidOptionsFields {
  /** The option's name or path, e.g. `"timeout.connect"` or `"mounts[\"http\"]"`. */
  readonly option: string;
  /** What was given, in words (credentials redacted). */
  readonly received: string;
  /** What is allowed instead. */
  readonly expected: string;
  /** The runtime, when the option is not supported on it. */
  readonly runtime?: string;
}

/**
 * A bad option, found at construction: says which option, what was given and
 * what is allowed; for an option the runtime cannot honour, which runtime.
 *
 * @example
 * ```ts
 * import { InvalidOptions } from "@switchyard/switchyard";
 * const e = new InvalidOptions({ option: "timeout", received: "-1", expected: "a positive number of milliseconds" });
 * e.message; // "Invalid option `timeout`: got -1; expected a positive number of milliseconds."
 * ```
 */
export class InvalidOptions extends SwitchyardError implements InvalidOptionsFields {
  /** Tag. */
  readonly _tag = "InvalidOptions" as const;
  /** The option. */
  readonly option: string;
  /** What was given. */
  readonly received: string;
  /** What is allowed. */
  readonly expected: string;
  /** The runtime that cannot honour the option, if that is the problem. */
  readonly runtime?: string;
  /** Builds the error; see the class docs for the arguments. */
  constructor(fields: InvalidOptionsFields) {
    // Callers describe what was given without secrets; redacting again costs nothing on this path.
    const received = redactText(fields.received);
    super({
      message: fields.runtime
        ? `Option \`${fields.option}\` is not supported on ${fields.runtime}: got ${received}; ${fields.expected}.`
        : `Invalid option \`${fields.option}\`: got ${received}; expected ${fields.expected}.`,
    });
    this.option = fields.option;
    this.received = received;
    this.expected = fields.expected;
    if (fields.runtime !== undefined) this.runtime = fields.runtime;
  }
}

// Added with the credential plugins (plugins/auth.ts).

/**
 * A credential could not be obtained: a `bearer` token function or Effect
 * failed, or returned something that is not a token. The request was never
 * sent. The failure is kept as `cause` (not enumerable) but never quoted in
 * the message: a token endpoint's error may echo a secret.
 *
 * @example
 * ```ts
 * import { CredentialsError } from "@switchyard/switchyard";
 * const e = new CredentialsError({ method: "GET", url: "https://api.test/" }, { detail: "the bearer token function failed" });
 * e.message; // "Could not get credentials: GET https://api.test/ (the bearer token function failed). The request ..."
 * ```
 */
export class CredentialsError extends TransportErrorBase {
  /** Tag. */
  readonly _tag = "CredentialsError" as const;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, options?: RequestErrorOptions) {
    super(
      request,
      options,
      "Could not get credentials",
      "The request was never sent; check the token source (its failure is the `cause`).",
    );
  }
}

/**
 * A candidate answer that came close to a request: an interceptor, or a
 * recorded entry, with what differed.
 *
 * @example
 * ```ts
 * import type { NearMiss } from "@switchyard/switchyard";
 * const miss: NearMiss = { candidate: "GET http://api.test/users", differences: ["method: expected GET, got POST"] };
 * ```
 */
export interface NearMiss {
  /** The candidate, described (URLs redacted). */
  readonly candidate: string;
  /** What differed, one line each (`"body: expected ..., got ..."`); empty when only its uses were spent. */
  readonly differences: ReadonlyArray<string>;
}

/** `detail` of an unmatched request: what was asked, then each near miss with its differences. */
const describeMisses = (what: string, asked: string, misses: ReadonlyArray<NearMiss>, none: string): string => {
  const head = asked ? `${asked}; ` : "";
  if (misses.length === 0) return `${head}${none}`;
  const lines = misses.map((miss, i) =>
    `\n  ${i + 1}. ${miss.candidate}${miss.differences.map((d) => `\n     - ${d}`).join("")}`
  );
  return `${head}the closest ${what}:${lines.join("")}\n`;
};

/**
 * A `MockTransport` had no interceptor for a request, and no passthrough or
 * handler took it. `closest` lists the interceptors nearest to it, each with
 * what differed; the message shows them, and the request (redacted).
 *
 * @example
 * ```ts
 * import { MockTransport, UnmatchedRequest } from "@switchyard/switchyard";
 * const mock = MockTransport.make();
 * mock.on({ method: "GET", path: "/users" }).reply(200, []);
 * const error = await mock.fetch(new Request("http://api.test/user")).catch((e) => e);
 * console.assert(error instanceof UnmatchedRequest && error.closest.length === 1);
 * // error.message: "No interceptor matched: GET http://api.test/user (the closest interceptors:
 * //   1. GET /users
 * //      - path: expected /users, got /user ...
 * ```
 */
export class UnmatchedRequest extends TransportErrorBase {
  /** Tag. */
  readonly _tag = "UnmatchedRequest" as const;
  /** The interceptors nearest to the request, closest first, with what differed. */
  readonly closest: ReadonlyArray<NearMiss>;
  /** Builds the error; `asked` describes the request beyond its method and URL (redacted), e.g. its body. */
  constructor(request: RequestLike, closest: ReadonlyArray<NearMiss>, asked = "") {
    super(
      request,
      { detail: describeMisses("interceptors", asked, closest, "no interceptor is registered") },
      "No interceptor matched",
      "Add one with `mock.on({...})`, or let its host reach a real transport with `passthrough` and `allow`.",
    );
    this.closest = closest;
  }
}

/**
 * A replay transport had no recorded entry for a request. `nearest` lists
 * the recorded entries nearest to it, each with what differed.
 *
 * @example
 * ```ts
 * import { UnrecordedRequest } from "@switchyard/switchyard";
 * const error = new UnrecordedRequest({ method: "GET", url: "http://api.test/b" }, [
 *   { candidate: "GET http://api.test/a (entry 0)", differences: ["path: expected /a, got /b"] },
 * ]);
 * console.assert(error.nearest.length === 1);
 * ```
 */
export class UnrecordedRequest extends TransportErrorBase {
  /** Tag. */
  readonly _tag = "UnrecordedRequest" as const;
  /** The recorded entries nearest to the request, nearest first, with what differed. */
  readonly nearest: ReadonlyArray<NearMiss>;
  /** Builds the error; `asked` describes the request beyond its method and URL; `none` says why nothing is near. */
  constructor(request: RequestLike, nearest: ReadonlyArray<NearMiss>, asked = "", none = "the recording is empty") {
    super(
      request,
      { detail: describeMisses("recorded entries", asked, nearest, none) },
      "Nothing recorded matches",
      'Record it (mode "record-missing" with a `transport`), or check what the code under test sends.',
    );
    this.nearest = nearest;
  }
}

/**
 * `mock.assertAllUsed()` found interceptors the code under test did not use
 * up. `interceptors` describes each, with how often it was used.
 *
 * @example
 * ```ts
 * import { MockTransport, UnusedInterceptors } from "@switchyard/switchyard";
 * const mock = MockTransport.make();
 * mock.on({ method: "GET", url: "http://api.test/a" }).reply(200);
 * try {
 *   mock.assertAllUsed();
 * } catch (e) {
 *   console.assert(e instanceof UnusedInterceptors && e.interceptors.length === 1);
 * }
 * ```
 */
export class UnusedInterceptors extends SwitchyardError {
  /** Tag. */
  readonly _tag = "UnusedInterceptors" as const;
  /** Each interceptor not used up, described with its uses (`"GET http://api.test/a (used 0 of 1)"`). */
  readonly interceptors: ReadonlyArray<string>;
  /** Builds the error from the descriptions of the interceptors not used up. */
  constructor(interceptors: ReadonlyArray<string>) {
    const n = interceptors.length;
    super({
      message: `${n} interceptor${n === 1 ? " was" : "s were"} not used up:${
        interceptors.map((i) => `\n  - ${i}`).join("")
      }\nThe code under test did not send these requests; remove them, or find out why it did not.`,
    });
    this.interceptors = interceptors;
  }
}

// ---------------------------------------------------------------------------
// Raised by the resilience plugins (retry, balance, circuitBreaker).
// ---------------------------------------------------------------------------

/**
 * The fields of a `CircuitOpen`.
 *
 * @example
 * ```ts
 * import type { CircuitOpenFields } from "@switchyard/switchyard";
 * const fields: CircuitOpenFields = { key: "http://api.test", state: "open", retryAfterMs: 5_000 };
 * ```
 */
export interface CircuitOpenFields {
  /** The circuit's key (by default the request's origin). */
  readonly key: string;
  /** `"open"`, or `"half-open"` while the one probe is in flight. */
  readonly state: "open" | "half-open";
  /** Milliseconds until the circuit lets a probe through; `undefined` while a probe is in flight. */
  readonly retryAfterMs?: number;
  /** Why it opened, in words (e.g. "5 consecutive failures"). */
  readonly reason?: string;
}

/**
 * A circuit breaker refused the request without sending it: the circuit for
 * its key is open (or half-open with its one probe in flight). Never sent,
 * so it is safe to send elsewhere: `isNotSent` is true and `balance` fails
 * over as it does for a refused connect. `retryAfterMs` says when the
 * circuit lets a probe through.
 *
 * @example
 * ```ts
 * import { CircuitOpen, isNotSent } from "@switchyard/switchyard";
 * const e = new CircuitOpen({ method: "GET", url: "http://api.test/x" }, { key: "http://api.test", state: "open", retryAfterMs: 4_200 });
 * console.assert(isNotSent(e) && e.retryAfterMs === 4_200);
 * ```
 */
export class CircuitOpen extends TransportErrorBase implements CircuitOpenFields {
  /** Tag. */
  readonly _tag = "CircuitOpen" as const;
  /** The circuit's key. */
  readonly key: string;
  /** The circuit's state. */
  readonly state: "open" | "half-open";
  /** Milliseconds until a probe may pass; `undefined` while one is in flight. */
  readonly retryAfterMs?: number;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, fields: CircuitOpenFields) {
    const when = fields.retryAfterMs === undefined
      ? "its probe is in flight"
      : `it lets a probe through in ${Math.ceil(fields.retryAfterMs)} ms`;
    super(
      request,
      { detail: `circuit ${fields.key} is ${fields.state}${fields.reason ? ` after ${fields.reason}` : ""}; ${when}` },
      "Refused by an open circuit",
      NOT_SENT,
    );
    this.key = fields.key;
    this.state = fields.state;
    if (fields.retryAfterMs !== undefined) this.retryAfterMs = fields.retryAfterMs;
  }
}

/**
 * Every upstream of a `balance` transport is ejected (each failed to
 * connect and is cooling down), so the request was not sent.
 * `retryAfterMs` says when the first one may be tried again.
 *
 * @example
 * ```ts
 * import { isNotSent, NoHealthyUpstream } from "@switchyard/switchyard";
 * const e = new NoHealthyUpstream({ method: "GET", url: "http://api.test/" }, { upstreams: 2, retryAfterMs: 800 });
 * console.assert(isNotSent(e) && e.upstreams === 2);
 * ```
 */
export class NoHealthyUpstream extends TransportErrorBase {
  /** Tag. */
  readonly _tag = "NoHealthyUpstream" as const;
  /** How many upstreams there are (all ejected). */
  readonly upstreams: number;
  /** Milliseconds until the first cool-down ends. */
  readonly retryAfterMs: number;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, fields: { readonly upstreams: number; readonly retryAfterMs: number }) {
    super(
      request,
      {
        detail: `all ${fields.upstreams} upstreams are ejected; the first cool-down ends in ${
          Math.ceil(fields.retryAfterMs)
        } ms`,
      },
      "No healthy upstream",
      NOT_SENT,
    );
    this.upstreams = fields.upstreams;
    this.retryAfterMs = fields.retryAfterMs;
  }
}

/**
 * The fields of a `RetryAfterTooLong`.
 *
 * @example
 * ```ts
 * import type { RetryAfterTooLongFields } from "@switchyard/switchyard";
 * const fields: RetryAfterTooLongFields = { status: 503, waitMs: 120_000, limitMs: 30_000, limit: "max" };
 * ```
 */
export interface RetryAfterTooLongFields {
  /** The status of the response that asked to wait (its body was cancelled). */
  readonly status: number;
  /** How long the server asked to wait (`Retry-After`, or a circuit's or balance's hint). */
  readonly waitMs: number;
  /** How long `retry` was allowed to wait. */
  readonly limitMs: number;
  /** Which limit: `retryAfter.max`, or what was left of the call's `budget`. */
  readonly limit: "max" | "budget";
}

/**
 * `retry` with `retryAfter: { policy: "fail" }` was asked (by `Retry-After`,
 * or by a `CircuitOpen` / `NoHealthyUpstream` hint) to wait longer than its
 * `retryAfter.max` or the rest of its `budget`, and gave up instead of
 * waiting or retrying early. The request was sent (a server answered).
 *
 * @example
 * ```ts
 * import { RetryAfterTooLong } from "@switchyard/switchyard";
 * const e = new RetryAfterTooLong({ method: "GET", url: "http://api.test/" }, { status: 503, waitMs: 120_000, limitMs: 30_000, limit: "max" });
 * console.assert(e.waitMs > e.limitMs);
 * ```
 */
export class RetryAfterTooLong extends TransportErrorBase implements RetryAfterTooLongFields {
  /** Tag. */
  readonly _tag = "RetryAfterTooLong" as const;
  /** The status that asked to wait (0 for a hint carried by an error). */
  readonly status: number;
  /** How long the server asked to wait. */
  readonly waitMs: number;
  /** How long `retry` could wait. */
  readonly limitMs: number;
  /** Which limit applied. */
  readonly limit: "max" | "budget";
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, fields: RetryAfterTooLongFields) {
    const what = fields.status > 0 ? `a ${fields.status} asked` : "the pipeline asked";
    const limit = fields.limit === "max" ? "`retryAfter.max`" : "what is left of `budget`";
    super(
      request,
      { detail: `${what} to wait ${Math.ceil(fields.waitMs)} ms; ${limit} is ${Math.floor(fields.limitMs)} ms` },
      "Gave up: the wait asked for is too long",
      'Raise `retryAfter.max` or `budget`, or pass `retryAfter: { policy: "clamp" }` or `"return"`.',
    );
    this.status = fields.status;
    this.waitMs = fields.waitMs;
    this.limitMs = fields.limitMs;
    this.limit = fields.limit;
  }
}

// ---------------------------------------------------------------------------
// Raised by the SSRF guard (guard).
// ---------------------------------------------------------------------------

/**
 * Why the SSRF guard (`guard()`) refused a destination: the kind of address
 * (IANA special-purpose registries), an entry of `deny`, or a port outside
 * `ports`.
 *
 * @example
 * ```ts
 * import type { BlockedRule } from "@switchyard/switchyard";
 * const rule: BlockedRule = "loopback";
 * ```
 */
export type BlockedRule =
  | "loopback"
  | "private"
  | "link-local"
  | "cgnat"
  | "unspecified"
  | "multicast"
  | "reserved"
  | "documentation"
  | "benchmarking"
  | "metadata"
  | "denied"
  | "port";

/**
 * What a `BlockedAddress` names.
 *
 * @example
 * ```ts
 * import type { BlockedAddressFields } from "@switchyard/switchyard";
 * const fields: BlockedAddressFields = { host: "evil.test", address: "127.0.0.1", port: 80, rule: "loopback" };
 * ```
 */
export interface BlockedAddressFields {
  /** The host as the URL spells it after parsing (`127.0.0.1` for `http://0x7f.1/`, a name, `[::ffff:7f00:1]`). */
  readonly host: string;
  /**
   * The address that broke the rule: the literal itself, or the resolved
   * address of a name (for the `port` rule, and a name refused by `deny`,
   * the host as written).
   */
  readonly address: string;
  /** The destination port (the scheme's default when the URL has none). */
  readonly port: number;
  /** The rule that refused it. */
  readonly rule: BlockedRule;
}

const RULE_TEXT: Readonly<Record<BlockedRule, string>> = {
  loopback: "a loopback address",
  private: "a private address",
  "link-local": "a link-local address",
  cgnat: "a carrier-grade NAT (shared) address",
  unspecified: "an unspecified address (reaches this host)",
  multicast: "a multicast address",
  reserved: "a reserved or non-global address",
  documentation: "a documentation address",
  benchmarking: "a benchmarking address",
  metadata: "a cloud metadata address",
  denied: "listed in the guard's `deny`",
  port: "not allowed: its port is outside the guard's `ports`",
};

/**
 * The SSRF guard (`guard()`) refused the destination before anything was
 * sent: its address (the literal, or what the name resolved to) is private,
 * loopback, link-local, metadata, ... and no `allow` entry permits it. Names
 * the host, the address and the rule. Retrying does not help: the same
 * request is refused again (so `isNotSent` is false for it, although nothing
 * left).
 *
 * @example
 * ```ts
 * import { BlockedAddress } from "@switchyard/switchyard";
 * const e = new BlockedAddress(
 *   { method: "GET", url: "http://evil.test/" },
 *   { host: "evil.test", address: "127.0.0.1", port: 80, rule: "loopback" },
 * );
 * console.assert(e.rule === "loopback" && e.message.includes("127.0.0.1"));
 * ```
 */
export class BlockedAddress extends TransportErrorBase implements BlockedAddressFields {
  /** Tag. */
  readonly _tag = "BlockedAddress" as const;
  /** The host, as parsed. */
  readonly host: string;
  /** The refused address. */
  readonly address: string;
  /** The destination port. */
  readonly port: number;
  /** The rule that refused it. */
  readonly rule: BlockedRule;
  /** Builds the error; see the class docs for the arguments. */
  constructor(request: RequestLike, fields: BlockedAddressFields, options?: RequestErrorOptions) {
    const where = fields.address === fields.host ? fields.host : `${fields.host} resolved to ${fields.address}`;
    super(
      request,
      {
        detail: options?.detail ?? `${where} (port ${fields.port}) is ${RULE_TEXT[fields.rule]}`,
        cause: options?.cause,
      },
      "Refused by the SSRF guard",
      fields.rule === "port"
        ? "Nothing was sent; add the port to the guard's `ports` if it is intended."
        : fields.rule === "denied"
        ? "Nothing was sent; the guard's `deny` lists it."
        : `Nothing was sent; if this destination is intended, add it to the guard's \`allow\` (e.g. "all://${fields.address}").`,
    );
    this.host = fields.host;
    this.address = fields.address;
    this.port = fields.port;
    this.rule = fields.rule;
  }
}

/**
 * Any of the four timeouts.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import type { TimeoutError } from "@switchyard/switchyard";
 * const onTimeout = (e: TimeoutError) => Effect.succeed(`timed out: ${e._tag}`);
 * ```
 */
export type TimeoutError = ConnectTimeout | ReadTimeout | WriteTimeout | PoolTimeout;
/**
 * Any connect, read or write failure.
 *
 * @example
 * ```ts
 * import type { NetworkError } from "@switchyard/switchyard";
 * const describe = (e: NetworkError) => `${e._tag}: ${e.detail}`;
 * ```
 */
export type NetworkError = ConnectError | ReadError | WriteError;
/**
 * Either protocol error.
 *
 * @example
 * ```ts
 * import type { ProtocolError } from "@switchyard/switchyard";
 * const isRemote = (e: ProtocolError) => e._tag === "RemoteProtocolError";
 * ```
 */
export type ProtocolError = LocalProtocolError | RemoteProtocolError;
/**
 * Anything a transport may fail with.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import type { Transport, TransportError } from "@switchyard/switchyard";
 * const send = (t: Transport, r: Request): Effect.Effect<Response, TransportError> => t.handle(r);
 * ```
 */
export type TransportError =
  | TimeoutError
  | NetworkError
  | ProtocolError
  | ProxyError
  | UnsupportedProtocol
  | AppError
  | CredentialsError
  | UnmatchedRequest
  | UnrecordedRequest
  | CircuitOpen
  | NoHealthyUpstream
  | RetryAfterTooLong
  | BlockedAddress;
/**
 * Anything a client request may fail with.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { Client, type ClientError, MockTransport } from "@switchyard/switchyard";
 * const client = Client.make({ transport: MockTransport.make(() => new Response("ok")) });
 * const call: Effect.Effect<Response, ClientError> = client.get("http://api.test/");
 * ```
 */
export type ClientError = TransportError | InvalidUrl | TooManyRedirects | RedirectRefused;

/**
 * Whether `u` is any transport error.
 *
 * @example
 * ```ts
 * import { isTransportError, ReadError } from "@switchyard/switchyard";
 * isTransportError(new ReadError({ method: "GET", url: "http://x.test/" })); // true
 * ```
 */
export const isTransportError = (u: unknown): u is TransportError => u instanceof TransportErrorBase;

/**
 * Whether `u` is one of the four timeouts.
 *
 * @example
 * ```ts
 * import { isTimeoutError, ReadTimeout } from "@switchyard/switchyard";
 * isTimeoutError(new ReadTimeout({ method: "GET", url: "http://x.test/" })); // true
 * ```
 */
export const isTimeoutError = (u: unknown): u is TimeoutError => u instanceof TimeoutErrorBase;

/**
 * Whether `u` proves the request never left, which makes a retry safe for any
 * method: `ConnectError`, `ConnectTimeout` or `PoolTimeout`, or a refusal by
 * a plugin before sending (`CircuitOpen`, `NoHealthyUpstream`).
 *
 * @example
 * ```ts
 * import { ConnectError, isNotSent } from "@switchyard/switchyard";
 * isNotSent(new ConnectError({ method: "POST", url: "http://x.test/" })); // true
 * ```
 */
export const isNotSent = (
  u: unknown,
): u is ConnectError | ConnectTimeout | PoolTimeout | CircuitOpen | NoHealthyUpstream =>
  u instanceof ConnectError || u instanceof ConnectTimeout || u instanceof PoolTimeout || u instanceof CircuitOpen ||
  u instanceof NoHealthyUpstream;

/**
 * fetch reports a network failure, an invalid URL and a refused redirect as
 * a `TypeError`, and code written for fetch (ky's retry on network errors,
 * many SDKs' retry loops) checks exactly that. So the transport errors,
 * `InvalidUrl`, `TooManyRedirects` and `RedirectRefused` are `TypeError`s too, without leaving
 * the tree: their prototype chain runs through `TypeError.prototype` by way of
 * a copy of the chain they share with the other errors (`RequestError` up to
 * Effect's yieldable error base: the same methods, `_tag`, `name`, `toJSON`,
 * and what makes an error yieldable). The classes stay ordinary classes for
 * TypeScript and JSR; `instanceof` works on every node (`SwitchyardError`
 * and `RequestError` recognise both branches through their
 * `Symbol.hasInstance`). `HttpStatusError`, `DecodingError` and
 * `InvalidOptions` are not what fetch rejects with, and stay plain `Error`s.
 */
const FETCH_LIKE: object = (() => {
  const shared = Object.create(TypeError.prototype) as object;
  const chain: Array<object> = [];
  for (
    let p: object | null = RequestError.prototype;
    p !== null && p !== Error.prototype;
    p = Object.getPrototypeOf(p)
  ) {
    chain.push(p);
  }
  // The farthest first, so that nearer definitions win.
  for (const p of chain.reverse()) {
    for (const key of Reflect.ownKeys(p)) {
      if (key !== "constructor") Object.defineProperty(shared, key, Object.getOwnPropertyDescriptor(p, key)!);
    }
  }
  Object.defineProperty(shared, "constructor", { value: RequestError, writable: true, configurable: true });
  return shared;
})();
for (const fetchLike of [TransportErrorBase, InvalidUrl, TooManyRedirects, RedirectRefused]) {
  Object.setPrototypeOf(fetchLike.prototype, FETCH_LIKE);
}
