/**
 * Which runtime we are on, and the small typed views of `Deno` and `Bun`
 * that Switchyard uses (so that the package type-checks on either runtime
 * without the other's type package).
 *
 * @module
 */

/**
 * The runtimes Switchyard supports.
 *
 * @example
 * ```ts
 * import type { RuntimeName } from "./runtime.ts";
 * const name: RuntimeName = "bun";
 * ```
 */
export type RuntimeName = "deno" | "bun";

interface RuntimeGlobals {
  readonly Deno?: { readonly version: { readonly deno: string } };
  readonly Bun?: { readonly version: string };
}

const globals = globalThis as unknown as RuntimeGlobals;

/**
 * The runtime this code runs on: `"deno"`, `"bun"`, or `"unsupported"` (then
 * the network transport refuses to be built, with an `InvalidOptions` that
 * says so, rather than guessing). Bun is checked first, because Bun also
 * defines a partial `Deno` shim in some versions.
 *
 * @example
 * ```ts
 * import { runtime } from "./runtime.ts";
 * console.log(`running on ${runtime.name} ${runtime.version}`);
 * ```
 */
export const runtime: { readonly name: RuntimeName | "unsupported"; readonly version: string } = globals.Bun
  ? { name: "bun", version: globals.Bun.version }
  : globals.Deno
  ? { name: "deno", version: globals.Deno.version.deno }
  : { name: "unsupported", version: "unknown" };

/**
 * Reads an environment variable on either runtime; `undefined` when unset or
 * when Deno denies the `env` permission (Switchyard never prompts for it).
 *
 * @example
 * ```ts
 * import { readEnv } from "./runtime.ts";
 * readEnv("HTTP_PROXY");
 * ```
 */
export const readEnv = (name: string): string | undefined => {
  const g = globalThis as unknown as {
    Deno?: {
      env: { get(k: string): string | undefined };
      permissions?: { querySync?(d: { name: "env"; variable: string }): { state: string } };
    };
    process?: { env: Record<string, string | undefined> };
  };
  if (runtime.name === "deno" && g.Deno) {
    const state = g.Deno.permissions?.querySync?.({ name: "env", variable: name }).state;
    if (state !== undefined && state !== "granted") return undefined;
    return g.Deno.env.get(name);
  }
  return g.process?.env[name];
};

/**
 * Where a Request's body comes from, as far as the runtime lets us see
 * without touching it: `"none"`, `"buffered"` (a string, bytes, a Blob,
 * FormData, URLSearchParams: it can be sent again), `"stream"` (a
 * ReadableStream or an async iterable: one-shot), or `"unknown"`.
 *
 * Deno keeps the body's source in an internal slot (`null` for a stream);
 * Bun exposes nothing but its inspector, which prints a buffered body as
 * `Blob (n bytes)` (~2 µs, so this is for rare paths: a redirect's replay
 * plan, not every request). Both readings are checked by
 * tests/runtime_body_test.ts, so a runtime that changes them fails there
 * first, and every caller treats `"unknown"` as one-shot.
 *
 * @example
 * ```ts
 * import { requestBodySource } from "./runtime.ts";
 * requestBodySource(new Request("http://x.test/", { method: "POST", body: "abc" })); // "buffered"
 * ```
 */
export const requestBodySource = (request: Request): "none" | "buffered" | "stream" | "unknown" =>
  inspectRequestBody(request).kind;

/**
 * `requestBodySource`, plus what a buffered body was made from where the
 * runtime keeps it (Deno's slot holds the original string, bytes, Blob or
 * FormData; Bun's inspector shows only that there is one): what a retry can
 * build the body again from without reading it.
 *
 * @example
 * ```ts
 * import { inspectRequestBody } from "./runtime.ts";
 * inspectRequestBody(new Request("http://x.test/", { method: "PUT", body: "hi" })).kind; // "buffered"
 * ```
 */
export const inspectRequestBody = (
  request: Request,
): { readonly kind: "none" | "buffered" | "stream" | "unknown"; readonly value?: unknown } => {
  if (runtime.name === "deno") {
    for (const symbol of Object.getOwnPropertySymbols(request)) {
      if (symbol.description !== "request") continue;
      const inner = (request as unknown as Record<symbol, { body?: { source?: unknown } | null }>)[symbol];
      if (inner === undefined || inner === null || typeof inner !== "object" || !("body" in inner)) break;
      if (inner.body === null || inner.body === undefined) return NO_BODY;
      const source = inner.body.source;
      return source === null || source === undefined ? STREAM : { kind: "buffered", value: source };
    }
    return UNKNOWN;
  }
  const inspect = (globalThis as unknown as { Bun?: { inspect?: (value: unknown) => string } }).Bun?.inspect;
  if (inspect === undefined) return UNKNOWN;
  // Not `request.body`: reading it turns a buffered body into a stream. The body is printed after the headers.
  // Quoted strings (URL, header values) removed first, so that no value can look like the body.
  const shown = inspect(request).replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const afterHeaders = shown.slice(shown.lastIndexOf("headers: Headers {"));
  const body = afterHeaders.slice(afterHeaders.search(/}\s*(Blob \(|ReadableStream|})/));
  return /^}\s*Blob \(/.test(body) ? BUFFERED : /^}\s*ReadableStream/.test(body) ? STREAM : NO_BODY;
};

const NO_BODY = Object.freeze({ kind: "none" as const });
const STREAM = Object.freeze({ kind: "stream" as const });
const UNKNOWN = Object.freeze({ kind: "unknown" as const });
const BUFFERED = Object.freeze({ kind: "buffered" as const });

/** Deno's Response keeps its URL list in a symbol-keyed slot (described `response`); `null` where there is none. */
let responseSlot: symbol | null | undefined;

/** The slot, found once on a probe Response and trusted only if writing it gives the URL fetch would (no fragment). */
const findResponseSlot = (): symbol | null => {
  if (runtime.name !== "deno") return null;
  const probe = new Response(null);
  for (const symbol of Object.getOwnPropertySymbols(probe)) {
    if (symbol.description !== "response") continue;
    const inner = (probe as unknown as Record<symbol, { urlList?: unknown } | undefined>)[symbol];
    if (inner === undefined || !Array.isArray(inner.urlList)) return null;
    inner.urlList.push("http://probe.test/a#f");
    return probe.url === "http://probe.test/a" && probe.clone().url === "http://probe.test/a" ? symbol : null;
  }
  return null;
};

/**
 * Gives `response` the URL `url`, as a fetch response carries one: on Deno,
 * for a response that has none yet (one built with `new Response`), by its
 * own URL list (~0 ns, where an own `url` property costs 0.2–0.3 µs; a
 * `clone()` keeps it), checked once on a probe; elsewhere (Bun, or a
 * response that has a URL) by an own `url` property. Returns `response`.
 *
 * @example
 * ```ts
 * import { setResponseUrl } from "./runtime.ts";
 * console.assert(setResponseUrl(new Response("hi"), "http://x.test/a").url === "http://x.test/a");
 * ```
 */
export const setResponseUrl = (response: Response, url: string): Response => {
  if (responseSlot === undefined) responseSlot = findResponseSlot();
  const inner = responseSlot === null
    ? undefined
    : (response as unknown as Record<symbol, { urlList?: unknown } | undefined>)[responseSlot];
  if (inner !== undefined && Array.isArray(inner.urlList) && inner.urlList.length === 0) inner.urlList.push(url);
  else Object.defineProperty(response, "url", { value: url, configurable: true });
  return response;
};

/**
 * What the runtime's `Headers` refused, told from the `TypeError` it threw:
 * `"value"` (CR, LF or NUL inside a value), `"name"` (not an HTTP token), or
 * `undefined` for any other error. Deno's messages quote the value
 * (`Invalid header value: "…"`), Bun's name the header (`Header 'a' has
 * invalid value`); both say `Invalid header name` for a name. A caller that
 * reports the refusal must not pass the message on: the value may be a
 * secret. tests/runtime_body_test.ts checks both runtimes' messages.
 *
 * @example
 * ```ts
 * import { headerRefusal } from "./runtime.ts";
 * try {
 *   new Headers().set("authorization", "Bearer a\r\nb");
 * } catch (error) {
 *   console.assert(headerRefusal(error) === "value");
 * }
 * ```
 */
export const headerRefusal = (error: unknown): "value" | "name" | undefined => {
  if (!(error instanceof TypeError)) return undefined;
  const message = error.message;
  if (message.startsWith("Invalid header value: ") || /^Header '[^']*' has invalid value$/.test(message)) {
    return "value";
  }
  return message.startsWith("Invalid header name: ") ? "name" : undefined;
};
