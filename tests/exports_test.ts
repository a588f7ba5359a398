/**
 * The public surface, pinned (httpx's test_exported_members, std's
 * lint:mod-exports): a name added to or removed from an entry point fails
 * here until this list is changed too, deliberately, with a CHANGELOG line.
 */
import assert from "node:assert/strict";
import { test } from "./harness.ts";

const SURFACE: Record<string, ReadonlyArray<string>> = {
  "../mod.ts": [
    "AppError",
    "CircuitOpen",
    "BlockedAddress",
    "Client",
    "ConnectError",
    "ConnectTimeout",
    "CookieJar",
    "CredentialsError",
    "DecodingError",
    "HandlerTransport",
    "HttpStatusError",
    "HttpTransport",
    "InvalidOptions",
    "InvalidUrl",
    "LocalProtocolError",
    "MockTransport",
    "Mounts",
    "NetworkErrorBase",
    "NoHealthyUpstream",
    "Plugin",
    "PoolTimeout",
    "ProtocolErrorBase",
    "ProxyError",
    "ReadError",
    "ReadTimeout",
    "RedirectRefused",
    "RemoteProtocolError",
    "RequestError",
    "RetryAfterTooLong",
    "SwitchyardError",
    "TimeoutErrorBase",
    "TooManyRedirects",
    "Transport",
    "TransportErrorBase",
    "UnmatchedRequest",
    "UnrecordedRequest",
    "UnsupportedProtocol",
    "UnusedInterceptors",
    "WriteError",
    "WriteTimeout",
    "auth",
    "basic",
    "bearer",
    "cookies",
    "balance",
    "circuitBreaker",
    "configureRedaction",
    "cache",
    "decodeJson",
    "decodeJsonPromise",
    "digest",
    "environmentProxies",
    "guard",
    "hooks",
    "httpVersion",
    "isNotSent",
    "isTimeoutError",
    "isTransportError",
    "logging",
    "netrc",
    "raiseForStatus",
    "raiseForStatusPromise",
    "retry",
    "retryInfo",
    "tracing",
  ],
  "../http_client.ts": ["HttpAppTransport", "SwitchyardHttpClient", "toHttpClient"],
  "../router.ts": ["Router", "UrlPattern"],
  "../testing.ts": ["faults", "record", "replay"],
};

for (const [entry, names] of Object.entries(SURFACE)) {
  test(`exports: ${entry.slice(3)} exports exactly its pinned names`, async () => {
    const actual = Object.keys(await import(entry)).sort();
    assert.deepEqual(actual, [...names].sort());
  });
}
