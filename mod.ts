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
  CircuitOpen,
  type CircuitOpenFields,
  type ClientError,
  ConnectError,
  ConnectTimeout,
  CredentialsError,
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
  type NearMiss,
  type NetworkError,
  NetworkErrorBase,
  NoHealthyUpstream,
  PoolTimeout,
  type ProtocolError,
  ProtocolErrorBase,
  ProxyError,
  ReadError,
  ReadTimeout,
  RedirectRefused,
  RemoteProtocolError,
  RequestError,
  type RequestErrorFields,
  type RequestErrorOptions,
  type RequestLike,
  RetryAfterTooLong,
  type RetryAfterTooLongFields,
  SwitchyardError,
  type TimeoutError,
  TimeoutErrorBase,
  TooManyRedirects,
  type TransportError,
  TransportErrorBase,
  UnmatchedRequest,
  UnrecordedRequest,
  UnsupportedProtocol,
  UnusedInterceptors,
  WriteError,
  WriteTimeout,
} from "./core/errors.ts";
export { configureRedaction, type RedactionOptions } from "./core/redact_config.ts";
export { Transport, type TransportSpec, type TransportStatics, type WrapSpec } from "./core/transport.ts";
export { type NamedSteps, Plugin, type PluginStatics, type StepResult, type Steps } from "./core/plugin.ts";
export { type HookResult, type Hooks, hooks } from "./plugins/hooks.ts";
export { logging, type LogRecord } from "./plugins/logging.ts";
export { auth, type AuthOptions, type AuthRules, basic } from "./plugins/auth.ts";
export type { AuthScheme } from "./plugins/auth_scheme.ts";
export { bearer, type TokenSource } from "./plugins/auth_bearer.ts";
export { digest, type DigestAlgorithm, type DigestOptions } from "./plugins/auth_digest.ts";
export { netrc, type NetrcOptions } from "./plugins/netrc.ts";
export { cookies, type CookiesOptions, type CookiesPlugin } from "./plugins/cookies.ts";
export { CookieJar, type CookieJarJSON, type CookieJarStatics, type StoredCookie } from "./plugins/cookie_jar.ts";
export { retry } from "./plugins/retry.ts";
export { tracing, type TracingOptions } from "./plugins/tracing.ts";
export type { Propagation } from "./plugins/span.ts";
export { balance, type BalanceOptions, type BalanceTransport, type WeightedUpstream } from "./plugins/balance.ts";
export type { BalanceStrategy, UpstreamState } from "./plugins/balance_pool.ts";
export { circuitBreaker, type CircuitBreakerOptions, type CircuitBreakerPlugin } from "./plugins/circuit_breaker.ts";
export type { CircuitState, CircuitVerdict, TripPolicy } from "./plugins/circuit_state.ts";
export { type RetryInfo, retryInfo, type RetryRecord, type RetryStop } from "./plugins/retry_info.ts";
export type { RetryAfterPolicy, RetryOptions, RetryOutcome } from "./plugins/retry_options.ts";
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
export { type HttpVersion, httpVersion } from "./core/http_version.ts";
export {
  type ClientAddress,
  type FetchHandler,
  HandlerTransport,
  type HandlerTransportOptions,
  type HandlerTransportStatics,
  type Lifespan,
} from "./transports/handler.ts";
export {
  type MockCall,
  type MockHandler,
  type MockOptions,
  type MockResult,
  MockTransport,
  type MockTransportStatics,
} from "./transports/mock.ts";
export type { Interceptor, InterceptorState, InterceptSpec, JsonValue } from "./transports/mock_interceptors.ts";
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
  type MountRoute,
  Mounts,
  type MountsStatics,
  type MountsTransport,
} from "./router/mounts.ts";
