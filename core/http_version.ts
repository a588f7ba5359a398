/**
 * Which HTTP version a network response was received over, where the
 * engine that sent it knows (fetch does not report it): HTTPX's
 * `response.http_version`, and OpenTelemetry's `network.protocol.version`.
 *
 * @module
 */
import { NETWORK_RESPONSE } from "./transport.ts";

/**
 * An HTTP version as HTTPX spells it.
 *
 * @example
 * ```ts
 * import type { HttpVersion } from "@switchyard/switchyard";
 * const version: HttpVersion = "HTTP/2";
 * ```
 */
export type HttpVersion = "HTTP/1.0" | "HTTP/1.1" | "HTTP/2";

/**
 * The HTTP version `response` came over, or `undefined` when it is not
 * known: a response that did not come from `HttpTransport` (an in-process
 * app's, a mock's), or one whose protocol the runtime's fetch chose by ALPN
 * without saying which (Deno with `http2: true` and `http1` over https; Bun
 * under its HTTP/2 flag). With the defaults (`http1` only) it is always
 * known; the node:http and node:http2 engines read it off the connection.
 *
 * @example The version of a loopback exchange
 * ```ts
 * import { Client, httpVersion } from "@switchyard/switchyard";
 * await using server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => new Response("ok"));
 * await using client = Client.make();
 * const response = await client.fetch(`http://127.0.0.1:${server.addr.port}/`);
 * console.assert(httpVersion(response) === "HTTP/1.1");
 * await response.text();
 * ```
 */
export const httpVersion = (response: Response): HttpVersion | undefined =>
  (response as { [NETWORK_RESPONSE]?: { readonly version?: HttpVersion } })[NETWORK_RESPONSE]?.version;
