/**
 * HTTP/2 on Bun where its `fetch` cannot offer it: one engine made of the
 * node:http2 engine (node_http2.ts) and Bun's fetch engine, choosing per
 * request.
 *
 * - `"alpn"` (`http2: true` with `http1`): an https request goes to the
 *   HTTP/2 engine, which offers `h2` and `http/1.1` in ALPN. When the server
 *   picks HTTP/1.1, that request (unsent so far) and every later request to
 *   that origin go to fetch (HTTP/1.1) for the rest of the transport's life:
 *   one TLS handshake per such origin is spent learning it. Cleartext `http://`
 *   goes to fetch (HTTP/1.1), as HTTPX does without `http1: false`.
 * - `"h2c"` (`http2: true, http1: false`): cleartext goes to the HTTP/2
 *   engine with prior knowledge; https to fetch with `protocol: "http2"`.
 *
 * The HTTP/2 engine times its connect, write and wait phases itself
 * (`observesConnectOf`); fetch's requests get the transport's deadline before
 * the headers, and a request handed over after the ALPN answer gets what is
 * left of that deadline here.
 *
 * @module
 */
import { ReadTimeout } from "../../core/errors.ts";
import { originOf } from "../../core/url_scan.ts";
import { type Engine, markedOr } from "./engine.ts";
import { Http1Chosen, type Http2Engine } from "./node_http2.ts";
import type { ResolvedHttpOptions } from "./options.ts";

/**
 * Builds the engine that sends a request over HTTP/2 when it may, and through `fetch` otherwise.
 *
 * @example
 * ```ts
 * import { makeNegotiatedEngine } from "./negotiated.ts";
 * import { makeHttp2Engine } from "./node_http2.ts";
 * import { resolveHttpOptions } from "./options.ts";
 * import type { Engine } from "./engine.ts";
 * const describe = (fetchEngine: Engine) => {
 *   const o = resolveHttpOptions({ http2: true });
 *   const h2 = makeHttp2Engine(o, { bodyKind: fetchEngine.bodyKind, patch: fetchEngine.patch, defaults: [] });
 *   return makeNegotiatedEngine(o, "alpn", h2, fetchEngine).name; // "bun"
 * };
 * ```
 */
export const makeNegotiatedEngine = (
  o: ResolvedHttpOptions,
  mode: "alpn" | "h2c",
  h2: Http2Engine,
  fetchEngine: Engine,
): Engine => {
  const viaHttp2 = mode === "alpn"
    ? (url: string) => url.startsWith("https://") && h2.protocolOf(originOf(url)) !== "http/1.1"
    : (url: string) => url.startsWith("http://");
  const t = o.timeout;
  const preResponseMs = t.connect === undefined && t.read === undefined && t.write === undefined
    ? undefined
    : (t.connect ?? 0) + (t.write ?? 0) + (t.read ?? 0);

  /** A request the server's ALPN answer sent to fetch: the rest of the deadline the transport did not arm. */
  const handOver = (request: Request, signal: AbortSignal | undefined, started: number): Promise<Response> => {
    if (preResponseMs === undefined) return fetchEngine.send(request, signal);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const controller = new AbortController();
    // Kept for the body too: an abort after the headers (the transport's read deadline) must reach it.
    signal?.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
    const left = Math.max(0, preResponseMs - (Date.now() - started));
    const timer = setTimeout(() =>
      controller.abort(
        new ReadTimeout(request, {
          detail: `no response within ${preResponseMs} ms (timeout.connect + write + read); the server chose ` +
            "HTTP/1.1, sent through Bun's fetch, which does not report when the connection is made",
        }),
      ), left);
    return fetchEngine.send(request, controller.signal).finally(() => clearTimeout(timer));
  };

  return {
    name: fetchEngine.name,
    send: (request, signal) => {
      if (!viaHttp2(request.url)) return fetchEngine.send(request, signal);
      const started = Date.now();
      return h2.send(request, signal).catch((error: unknown) => {
        if (error instanceof Http1Chosen) return handOver(request, signal, started);
        throw error;
      });
    },
    // The HTTP/2 engine fails typed: what reaches these is fetch's.
    classify: fetchEngine.classify,
    classifyBody: fetchEngine.classifyBody,
    check: undefined,
    bodyKind: fetchEngine.bodyKind,
    observesConnect: false,
    observesConnectOf: (request) => viaHttp2(request.url),
    wantsSignal: true,
    proxied: false,
    patch: fetchEngine.patch,
    version: markedOr(fetchEngine.version),
    close: () => {
      h2.close();
      fetchEngine.close();
    },
  };
};
