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
    "BlockedAddress",
    "Client",
    "ConnectError",
    "ConnectTimeout",
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
    "Plugin",
    "PoolTimeout",
    "ProtocolErrorBase",
    "ProxyError",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "RequestError",
    "SwitchyardError",
    "TimeoutErrorBase",
    "TooManyRedirects",
    "Transport",
    "TransportErrorBase",
    "UnsupportedProtocol",
    "WriteError",
    "WriteTimeout",
    "cache",
    "decodeJson",
    "decodeJsonPromise",
    "environmentProxies",
    "guard",
    "hooks",
    "isNotSent",
    "isTimeoutError",
    "isTransportError",
    "logging",
    "raiseForStatus",
    "raiseForStatusPromise",
  ],
  "../http_client.ts": ["SwitchyardHttpClient", "toHttpClient"],
  "../router.ts": ["Router", "UrlPattern"],
};

for (const [entry, names] of Object.entries(SURFACE)) {
  test(`exports: ${entry.slice(3)} exports exactly its pinned names`, async () => {
    const actual = Object.keys(await import(entry)).sort();
    assert.deepEqual(actual, [...names].sort());
  });
}
