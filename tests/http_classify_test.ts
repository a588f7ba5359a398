/**
 * The engines' error mapping, fed the exact errors each runtime raises for
 * cases that cannot be staged without leaving the machine (DNS failures) or
 * that are rare, as recorded in docs/runtimes.md, "Errors". The cases staged for
 * real are in http_errors_test.ts.
 */
import assert from "node:assert/strict";
import {
  ConnectError,
  ReadError,
  RemoteProtocolError,
  type TransportError,
  UnsupportedProtocol,
} from "../core/errors.ts";
import { bunEngine } from "../transports/http/bun.ts";
import { denoEngine } from "../transports/http/deno.ts";
import type { Engine } from "../transports/http/engine.ts";
import { resolveHttpOptions } from "../transports/http/options.ts";
import { testOn } from "./harness.ts";

const request = new Request("http://user:pw@nonexistent.invalid/path");

const withEngine = (make: () => Engine, fn: (engine: Engine) => void): void => {
  const engine = make();
  try {
    fn(engine);
  } finally {
    engine.close();
  }
};

const denoFetchError = (cause: string): TypeError => new TypeError("fetch failed", { cause: new Error(cause) });

const expect = (error: TransportError, Class: abstract new (...a: never[]) => TransportError, detail?: RegExp) => {
  assert.ok(error instanceof Class, `expected ${Class.name}, got ${error._tag}: ${error.message}`);
  if (detail) assert.match(error.detail, detail);
  assert.doesNotMatch(error.message, /user:pw/);
};

testOn(
  "deno",
  "runtime-lacks-feature",
  "classify (Deno): DNS, bad port, protocol and body failures",
  () =>
    withEngine(() => denoEngine(resolveHttpOptions({})), (engine) => {
      const dns = "error sending request for url (http://user:pw@nonexistent.invalid/path): client error (Connect): " +
        "dns error: failed to lookup address information: Name or service not known";
      expect(engine.classify(denoFetchError(dns), request), ConnectError, /DNS lookup failed/);
      const again = "client error (Connect): dns error: failed to lookup address information: Temporary failure in " +
        "name resolution";
      expect(engine.classify(denoFetchError(again), request), ConnectError, /DNS/);
      expect(
        engine.classify(new TypeError("Fetch failed: Requests to port 1 are blocked"), request),
        UnsupportedProtocol,
        /port 1/,
      );
      const garbage =
        "error sending request from 127.0.0.1:1 for http://x/ (127.0.0.1:2): client error (SendRequest): " +
        "invalid HTTP version parsed";
      expect(engine.classify(denoFetchError(garbage), request), RemoteProtocolError);
      const closed = "client error (SendRequest): connection closed before message completed";
      expect(engine.classify(denoFetchError(closed), request), RemoteProtocolError);
      expect(engine.classify(new Error("something new"), request), ReadError);
      const body = engine.classifyBody(new TypeError("error reading a body from connection"), request);
      assert.ok(body instanceof ReadError);
      assert.equal(engine.classifyBody(new TypeError("Body already consumed"), request), undefined);
    }),
);

const bunError = (code: string, message: string): TypeError => Object.assign(new TypeError(message), { code });

testOn(
  "bun",
  "runtime-lacks-feature",
  "classify (Bun): DNS, malformed response and body failures",
  () =>
    withEngine(() => bunEngine(resolveHttpOptions({})), (engine) => {
      expect(
        engine.classify(bunError("ENOTFOUND", "getaddrinfo ENOTFOUND nonexistent.invalid"), request),
        ConnectError,
        /DNS lookup failed/,
      );
      expect(
        engine.classify(bunError("EAI_AGAIN", "getaddrinfo EAI_AGAIN nonexistent.invalid"), request),
        ConnectError,
        /DNS/,
      );
      expect(
        engine.classify(bunError("Malformed_HTTP_Response", "Malformed_HTTP_Response"), request),
        RemoteProtocolError,
      );
      expect(engine.classify(bunError("SomethingNew", "?"), request), ReadError);
      assert.ok(engine.classifyBody(bunError("ECONNRESET", "closed"), request) instanceof ReadError);
      assert.equal(engine.classifyBody(bunError("ERR_BODY_ALREADY_USED", "used"), request), undefined);
    }),
);
