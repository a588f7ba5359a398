/**
 * Switchyard: HTTPX's transport architecture for Deno and Bun, built on Effect.
 *
 * A `Client` hands each request to a transport chosen by URL mounts; a
 * transport is a typed Effect service (`Transport`) with an explicit error
 * channel. Two faces on one engine: Effect methods and a drop-in `fetch`.
 *
 * @example
 * ```ts
 * import { Client, HandlerTransport } from "@switchyard/switchyard";
 * await using client = Client.make({
 *   baseUrl: "http://app.test",
 *   transport: HandlerTransport.make(() => new Response("hello")),
 * });
 * await (await client.fetch("/")).text(); // "hello"
 * ```
 *
 * @module
 */
export * from "./core/errors.ts";
export { type Plugin, Transport, type TransportSpec, type TransportStatics } from "./core/transport.ts";
export { Client, type ClientOptions, type ClientStatics, type RequestOptions } from "./core/client.ts";
export type { RequestInput } from "./core/request.ts";
export { decodeJson, ensureOk, raiseForStatus, readJson } from "./core/response.ts";
export { runtime, type RuntimeName } from "./core/runtime.ts";
export {
  type ClientAddress,
  type FetchHandler,
  HandlerTransport,
  type HandlerTransportOptions,
  type HandlerTransportStatics,
  type Lifespan,
} from "./transports/handler.ts";
export { type MockCall, type MockHandler, type MockResult, MockTransport } from "./transports/mock.ts";
export { type HookResult, type Hooks, hooks } from "./plugins/hooks.ts";
export { logging, type LogRecord } from "./plugins/logging.ts";
export { type CidrRange, type HostMatch, type Priority, UrlPattern, type UrlPatternStatics } from "./router/pattern.ts";
export { type Route, Router, type RouterStatics } from "./router/router.ts";
export { environmentProxies } from "./router/env.ts";
export {
  type MountEntries,
  type MountExplanation,
  Mounts,
  type MountsStatics,
  type MountsTransport,
} from "./router/mounts.ts";
export {
  type HttpLimits,
  type HttpProxyOption,
  type HttpTimeouts,
  type HttpTlsOptions,
  HttpTransport,
  type HttpTransportOptions,
  type HttpTransportStatics,
} from "./transports/http.ts";
