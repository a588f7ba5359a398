/**
 * The seam between `HttpTransport` (options, retries, timeouts, pool) and the
 * one engine per runtime that actually sends. The runtime's `EngineFactory`
 * is chosen once, in mod.ts, by `runtime.name` (the only such branch in the
 * transports); everything a runtime does differently sits behind these two
 * interfaces, in that runtime's own file (deno.ts, bun.ts; node.ts for the
 * node:http engine either of them may use): how it sends, how its failures
 * map to the error tree (docs/runtimes.md), how a response is patched, how it
 * tells that a request cannot be aborted, and how env proxies are built.
 *
 * @module
 */
import { ConnectError, type RequestLike, type TransportError, TransportErrorBase } from "../../core/errors.ts";
import { redactText } from "../../core/redact.ts";
import type { HttpVersion } from "../../core/http_version.ts";
import { responseUrlOf } from "../../core/transport.ts";
import { setResponseUrl } from "../../core/runtime.ts";
import type { BodyHooks } from "./body.ts";
import type { ResolvedHttpOptions } from "./options.ts";

/**
 * What a request's body is, as far as the runtime can tell without changing
 * how it is sent (on Deno, merely reading `request.body` of a string body
 * turns its `Content-Length` into chunked encoding).
 *
 * @example
 * ```ts
 * import type { BodyKind } from "./engine.ts";
 * const kind: BodyKind = "buffered";
 * ```
 */
export type BodyKind = "none" | "buffered" | "stream" | "unknown";

/**
 * One runtime's way of sending a request and of describing its failures.
 *
 * @example
 * ```ts
 * import type { Engine } from "./engine.ts";
 * const send = (engine: Engine) => engine.send(new Request("http://127.0.0.1:8080/"), undefined);
 * ```
 */
export interface Engine {
  /** `"deno"`, `"bun"`, `"node"` (node:http) or `"node:http2"`: the last two where fetch cannot do what was asked. */
  readonly name: string;
  /** Sends `request`; `signal` is passed only when a timeout or an interruption needs it. */
  readonly send: (request: Request, signal: AbortSignal | undefined) => Promise<Response>;
  /** Maps a failure of `send` (before the response) to the tree. */
  readonly classify: (error: unknown, request: Request) => TransportError;
  /** Maps a failure while reading the body; `undefined` when it is not a network failure. */
  readonly classifyBody: (error: unknown, request: Request) => TransportError | undefined;
  /** A per-request refusal (e.g. h2c on a runtime without it), or `undefined` when there is none to make. */
  readonly check: ((request: Request) => TransportError | undefined) | undefined;
  /** See `BodyKind`. */
  readonly bodyKind: (request: Request) => BodyKind;
  /** Whether the engine itself tells a connect timeout from a read timeout (node:http does). */
  readonly observesConnect: boolean;
  /**
   * For an engine that sends some requests itself and hands others to fetch (Bun's negotiated HTTP/2):
   * whether it times this request's phases before the response itself (connect, write, wait for the
   * headers), asked before sending. When `true` the transport arms no deadline of its own before the
   * response; the body's read deadline stays the transport's (`observesConnect` is then `false`).
   * Absent: `observesConnect` holds for every request.
   */
  readonly observesConnectOf?: (request: Request) => boolean;
  /** Whether every request should carry an abort signal (cheap next to this engine's own cost). */
  readonly wantsSignal: boolean;
  /** Whether an explicit proxy is configured (a `407` response then becomes a `ProxyError`). */
  readonly proxied: boolean;
  /** Patches a response in place so that its body fails typed (this runtime's cheapest way). */
  readonly patch: (response: Response, hooks: BodyHooks) => Response;
  /** The HTTP version `response` came over, or `undefined` when the runtime chose it without saying. */
  readonly version: (request: Request, response: Response) => HttpVersion | undefined;
  /** Frees the engine's client, sessions and sockets. */
  readonly close: () => void;
}

/**
 * The text of a runtime error and of its `cause`, one line, credentials in
 * quoted URLs redacted: for an error's `detail`.
 *
 * @example
 * ```ts
 * import { describeRuntimeError } from "./engine.ts";
 * describeRuntimeError(new TypeError("fetch failed", { cause: new Error("dns error") })); // "fetch failed: dns error"
 * ```
 */
export const describeRuntimeError = (error: unknown): string => {
  const e = error as { message?: unknown; cause?: { message?: unknown } } | undefined;
  const top = typeof e?.message === "string" ? e.message : String(error);
  const cause = typeof e?.cause?.message === "string" ? `: ${e.cause.message}` : "";
  return redactText(`${top}${cause}`);
};

/**
 * Whether a node error code (node:http, node:http2, node:tls) says the peer's
 * certificate failed verification: both node engines report that as a
 * `ConnectError` saying so.
 *
 * @example
 * ```ts
 * import { isTlsVerifyCode } from "./engine.ts";
 * isTlsVerifyCode("DEPTH_ZERO_SELF_SIGNED_CERT") && !isTlsVerifyCode("ECONNRESET"); // true
 * ```
 */
export const isTlsVerifyCode = (code: string): boolean =>
  /CERT|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|SELF_SIGNED|ERR_TLS|DEPTH_ZERO|HOSTNAME_MISMATCH/.test(code);

/**
 * Whether a failure a node engine caught is already final: one of our own
 * errors (a timeout) or the abort's reason (an interruption, the caller's
 * abort), never a runtime failure to classify.
 *
 * @example
 * ```ts
 * import { ReadTimeout } from "../../core/errors.ts";
 * import { isPassThrough } from "./engine.ts";
 * isPassThrough(new ReadTimeout(new Request("http://x.test/")), undefined); // true
 * ```
 */
export const isPassThrough = (error: unknown, signal: AbortSignal | undefined): boolean =>
  error instanceof TransportErrorBase || (signal?.aborted === true && error === signal.reason);

/**
 * The `.code` of a runtime or node error (`ECONNREFUSED`, `ERR_TLS_...`), or `""`: what Bun's and node's
 * classifiers switch on.
 *
 * @example
 * ```ts
 * import { codeOf } from "./engine.ts";
 * codeOf(Object.assign(new TypeError("x"), { code: "ECONNRESET" })); // "ECONNRESET"
 * ```
 */
export const codeOf = (error: unknown): string => {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : "";
};

/**
 * Deno's permission refusal (`NotCapable`: no `--allow-net` for the host, no
 * `--allow-read`/`--allow-write` for a unix socket) as a `ConnectError`:
 * nothing was sent, and the detail says which flag is missing. `undefined`
 * for any other error.
 *
 * @example
 * ```ts
 * import { permissionDenied } from "./engine.ts";
 * const denied = Object.assign(new Error('Requires net access to "x.test:80"'), { name: "NotCapable" });
 * permissionDenied(denied, { method: "GET", url: "http://x.test/" })?._tag; // "ConnectError"
 * ```
 */
export const permissionDenied = (error: unknown, request: RequestLike): ConnectError | undefined =>
  error instanceof Error && error.name === "NotCapable"
    ? new ConnectError(request, { detail: `Deno denied the permission (${describeRuntimeError(error)})`, cause: error })
    : undefined;

/**
 * Whether a URL string is http(s): the only schemes a network transport
 * sends (Deno's fetch would also read `file:` URLs).
 *
 * @example
 * ```ts
 * import { isHttpUrl } from "./engine.ts";
 * isHttpUrl("file:///etc/passwd"); // false
 * ```
 */
export const isHttpUrl = (url: string): boolean => url.startsWith("http://") || url.startsWith("https://");

/**
 * One runtime's engines: how to build one for a set of options, and how
 * environment proxies are handled on it.
 *
 * @example
 * ```ts
 * import type { EngineFactory } from "./engine.ts";
 * const describe = (f: EngineFactory) => `${f.runtime}: proxy engines built ${f.proxyEngines}`;
 * ```
 */
export interface EngineFactory {
  /** The runtime these engines are for. */
  readonly runtime: "deno" | "bun";
  /** The engine for `o`; throws `InvalidOptions` for what this runtime cannot do. */
  readonly make: (o: ResolvedHttpOptions) => Engine;
  /**
   * When the engine of an env proxy URL is built: `"eager"` at construction
   * (the runtime may refuse a URL, which must fail construction), or `"lazy"`
   * on first use (building one costs, and the runtime accepts every URL).
   */
  readonly proxyEngines: "eager" | "lazy";
  /** The options of the engine that sends the requests env proxies leave direct. */
  readonly directOptions: (o: ResolvedHttpOptions) => ResolvedHttpOptions;
}

/**
 * `response` with `request`'s URL, as `fetch` would give it: for the Node
 * engines, whose responses are built with `new Response` (the client does not
 * fill in a network response's URL).
 *
 * @example
 * ```ts
 * import { withUrl } from "./engine.ts";
 * withUrl(new Response("ok"), new Request("http://x.test/a#top")).url; // "http://x.test/a"
 * ```
 */
export const withUrl = (response: Response, request: Request): Response =>
  setResponseUrl(response, responseUrlOf(request));

/** Where the node engines put the version they read off the connection. */
const SPOKEN: unique symbol = Symbol("switchyard/http-version");

/**
 * Marks a response a node engine built with the version its connection spoke.
 *
 * @example
 * ```ts
 * import { markVersion, markedVersion } from "./engine.ts";
 * const request = new Request("http://x.test/");
 * markedVersion(request, markVersion(new Response("ok"), "HTTP/2")); // "HTTP/2"
 * ```
 */
export const markVersion = (response: Response, version: HttpVersion): Response => {
  (response as { [SPOKEN]?: HttpVersion })[SPOKEN] = version;
  return response;
};

/**
 * The version `markVersion` put on `response`, or `undefined` (a fetch response): an `Engine.version`.
 *
 * @example
 * ```ts
 * import { markedVersion } from "./engine.ts";
 * markedVersion(new Request("http://x.test/"), new Response("ok")); // undefined
 * ```
 */
export const markedVersion = (_request: Request, response: Response): HttpVersion | undefined =>
  (response as { [SPOKEN]?: HttpVersion })[SPOKEN];

/**
 * The `Engine.version` of an engine that sends some requests through a node engine (which marks its
 * responses) and the rest through `fetchEngine`.
 *
 * @example
 * ```ts
 * import { markedOr, markVersion } from "./engine.ts";
 * const version = markedOr(() => "HTTP/1.1");
 * version(new Request("http://x.test/"), markVersion(new Response("ok"), "HTTP/2")); // "HTTP/2"
 * ```
 */
export const markedOr = (fetchVersion: Engine["version"]): Engine["version"] => (request, response) =>
  markedVersion(request, response) ?? fetchVersion(request, response);

/**
 * The `Engine.version` of a fetch that negotiates by ALPN without saying what it chose: cleartext is
 * HTTP/1.1 (neither runtime's fetch upgrades to h2c), TLS unknown.
 *
 * @example
 * ```ts
 * import { alpnVersion } from "./engine.ts";
 * alpnVersion(new Request("https://x.test/"), new Response("ok")); // undefined
 * ```
 */
export const alpnVersion = (request: Request, _response: Response): HttpVersion | undefined =>
  request.url.startsWith("http://") ? "HTTP/1.1" : undefined;
