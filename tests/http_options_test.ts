/**
 * HttpTransport options are checked at construction (make and layer): a bad
 * option is an InvalidOptions naming it, without echoing credentials.
 */
import assert from "node:assert/strict";
import { Effect, Exit, Layer, Schedule } from "effect";
import { InvalidOptions } from "../core/errors.ts";
import { HttpTransport } from "../transports/http/mod.ts";
import { test, testOn } from "./harness.ts";
import { run } from "./http_helpers.ts";

test("http: layer fails with InvalidOptions in the error channel", async () => {
  const layer = HttpTransport.layer({ timeout: -1 });
  const exit = await Effect.runPromiseExit(Effect.void.pipe(Effect.provide(layer)));
  assert.ok(Exit.isFailure(exit));
  const error = await run(Effect.flip(Layer.build(layer).pipe(Effect.scoped)));
  assert.ok(error instanceof InvalidOptions);
  assert.equal(error.option, "timeout");
});

const invalid = (options: unknown): InvalidOptions => {
  try {
    HttpTransport.make(options as never);
  } catch (error) {
    assert.ok(error instanceof InvalidOptions, `expected InvalidOptions, got ${error}`);
    return error;
  }
  assert.fail("expected make() to throw");
};

test("http: bad options throw InvalidOptions naming the option", async () => {
  assert.equal(invalid({ retries: -1 }).option, "retries");
  assert.equal(invalid({ retries: 1.5 }).option, "retries");
  assert.equal(invalid({ timeout: { read: 0 } }).option, "timeout.read");
  assert.equal(invalid({ localAddress: "127.0.0.2:80" }).option, "localAddress");
  // One IP parser (router/ip.ts): a leading zero is octal to some parsers, a bracket belongs in URLs only.
  for (const bad of ["010.0.0.1", "256.0.0.1", "1.2.3", "[::1]", "::1::2", "fe80::1%eth0", "example.com"]) {
    assert.equal(invalid({ localAddress: bad }).option, "localAddress", bad);
  }
  for (const good of ["0.0.0.0", "127.0.0.2", "::", "::1", "::ffff:127.0.0.1", "2001:db8::1"]) {
    await Effect.runPromise(HttpTransport.make({ localAddress: good }).close());
  }
  assert.equal(invalid({ nope: 1 }).option, "nope");
  assert.equal(invalid({ retry: { not: "a schedule" } }).option, "retry");
  assert.equal(invalid({ retries: 1, retry: Schedule.recurs(1) }).option, "retry");
  assert.equal(invalid({ http1: false, http2: false }).option, "http1");
  assert.equal(invalid({ tls: { cert: "-----BEGIN CERTIFICATE-----" } }).option, "tls.key");
  assert.equal(invalid({ uds: "/tmp/x.sock", proxy: "http://p:1" }).option, "proxy");
  assert.equal(invalid({ limits: { maxConnections: 0 } }).option, "limits.maxConnections");
  assert.equal(invalid({ proxy: "ftp://u:secret@p:21" }).option, "proxy");
});

test("http: an invalid option never echoes credentials", () => {
  const error = invalid({ proxy: "ftp://user:s3cret@proxy.test:21" });
  assert.doesNotMatch(error.message, /s3cret/);
  const other = invalid({ proxy: { url: "gopher://user:s3cret@proxy.test", headers: {} } });
  assert.doesNotMatch(other.message, /s3cret/);
  const bad = invalid({ proxy: "not a url s3cret" });
  assert.doesNotMatch(bad.message, /s3cret/);
});

testOn(
  "bun",
  "runtime-lacks-feature",
  "http: localAddress with a proxy or HTTP/2-only is refused on Bun (node:http)",
  () => {
    const proxied = invalid({ localAddress: "127.0.0.2", proxy: "http://127.0.0.1:3128" });
    assert.equal(proxied.runtime, "bun");
    assert.equal(proxied.option, "proxy");
    assert.equal(invalid({ localAddress: "127.0.0.2", http2: true, http1: false }).option, "http1");
  },
);

testOn("deno", "runtime-lacks-feature", "http: dangerouslyIgnoreCertificateErrors is refused on Deno", () => {
  const error = invalid({ tls: { dangerouslyIgnoreCertificateErrors: true } });
  assert.equal(error.runtime, "deno");
  assert.match(error.message, /--unsafely-ignore-certificate-errors/);
});
