/**
 * Switchyard: HTTPX's transport architecture for Deno and Bun, built on Effect.
 *
 * A `Client` hands each request through its plugins to a transport chosen by
 * URL mounts; a transport is a typed Effect service (`Transport`) with an
 * explicit error channel and two lanes of one meaning. Two faces on one
 * engine: Effect methods and a drop-in `fetch`.
 *
 * The list below is the package's public surface, pinned by
 * tests/exports_test.ts: adding or removing a name is a deliberate change.
 *
 * @example An in-process app behind a client
 * ```ts
 * import { Client, HandlerTransport } from "@switchyard/switchyard";
 * await using client = Client.make({
 *   baseUrl: "http://app.test",
 *   transport: HandlerTransport.make(() => new Response("hello")),
 * });
 * console.assert((await (await client.fetch("/")).text()) === "hello");
 * ```
 *
 * @module
 */
export {
  AppError,
  BlockedAddress,
  type BlockedAddressFields,
  type BlockedRule,
  type ClientError,
  ConnectError,
  ConnectTimeout,
  DecodingError,
  type DecodingIssue,
  HttpStatusError,
  InvalidOptions,
  type InvalidOptionsFields,
  InvalidUrl,
  isNotSent,
  isTimeoutError,
  isTransportError,
  LocalProtocolError,
  type NetworkError,
  NetworkErrorBase,
  PoolTimeout,
  type ProtocolError,
  ProtocolErrorBase,
  ProxyError,
  ReadError,
  ReadTimeout,
  RemoteProtocolError,
  RequestError,
  type RequestErrorFields,
  type RequestErrorOptions,
  type RequestLike,
  SwitchyardError,
  type TimeoutError,
  TimeoutErrorBase,
  TooManyRedirects,
  type TransportError,
  TransportErrorBase,
  UnsupportedProtocol,
  WriteError,
  WriteTimeout,
} from "./core/errors.ts";
export { Transport, type TransportSpec, type TransportStatics, type WrapSpec } from "./core/transport.ts";
export { type NamedSteps, Plugin, type PluginStatics, type StepResult, type Steps } from "./core/plugin.ts";
export { type HookResult, type Hooks, hooks } from "./plugins/hooks.ts";
export { logging, type LogRecord } from "./plugins/logging.ts";
export { cache, type CacheOptions, type CachePlugin } from "./plugins/cache.ts";
export { guard, type GuardOptions, type Resolve } from "./plugins/guard.ts";
export {
  Client,
  type ClientExplanation,
  type ClientOptions,
  type ClientStatics,
  type RequestOptions,
} from "./client/client.ts";
export type { RequestInput } from "./client/request.ts";
export { decodeJson, decodeJsonPromise, raiseForStatus, raiseForStatusPromise } from "./client/response.ts";
export {
  type ClientAddress,
  type FetchHandler,
  HandlerTransport,
  type HandlerTransportOptions,
  type HandlerTransportStatics,
  type Lifespan,
} from "./transports/handler.ts";
export { type MockCall, type MockHandler, type MockResult, MockTransport } from "./transports/mock.ts";
export {
  type HttpLimits,
  type HttpProxyOption,
  type HttpTimeouts,
  type HttpTlsOptions,
  HttpTransport,
  type HttpTransportOptions,
  type HttpTransportStatics,
} from "./transports/http/mod.ts";
export { environmentProxies } from "./router/env.ts";
export {
  type MountEntries,
  type MountExplanation,
  Mounts,
  type MountsStatics,
  type MountsTransport,
} from "./router/mounts.ts";
