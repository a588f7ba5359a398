/**
 * HttpTransport over TLS with the fixture PKI (tests/fixtures/tls.ts): custom
 * CA, unknown CA refused with the typed error, mutual TLS, HTTP/2 by ALPN.
 */
import assert from "node:assert/strict";
import { Effect } from "effect";
import { ConnectError, InvalidOptions, type TransportError } from "../core/errors.ts";
import type { Transport } from "../core/transport.ts";
import { HttpTransport, type HttpTransportOptions } from "../transports/http/mod.ts";
import { makeCertificates, startTlsServer, type TlsServerOptions, type TlsTestServer } from "./fixtures/tls.ts";
import { runtimeName, test, testOn } from "./harness.ts";

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect);

const withTls = async <A>(
  serverOptions: TlsServerOptions,
  options: HttpTransportOptions,
  fn: (t: Transport, server: TlsTestServer) => Promise<A>,
): Promise<A> => {
  const server = await startTlsServer(() => new Response("over tls"), serverOptions);
  let t: Transport | undefined;
  try {
    t = HttpTransport.make(options);
    return await fn(t, server);
  } finally {
    if (t) await run(t.close());
    await server.close();
  }
};

const failure = (t: Transport, request: Request): Promise<TransportError> => run(Effect.flip(t.handle(request)));

test("tls: a server signed by caCerts is accepted (HTTP/1.1 by default)", () =>
  withTls({}, { tls: { caCerts: [makeCertificates().ca] } }, async (t, server) => {
    const response = await run(t.handle(new Request(`${server.url}/`)));
    assert.equal(await response.text(), "over tls");
    assert.equal(response.headers.get("x-http-version"), "1.1");
  }));

test("tls: an unknown CA is ConnectError saying certificate verification failed", () =>
  withTls({}, { tls: { caCerts: [makeCertificates().otherCa] } }, async (t, server) => {
    const error = await failure(t, new Request(server.url));
    assert.ok(error instanceof ConnectError, String(error));
    assert.match(error.detail, /certificate verification failed/);
    assert.equal(server.connections, 0, "the handshake never finished");
  }));

test("tls: mutual TLS presents the client certificate", () =>
  withTls(
    { requestClientCert: true },
    {
      tls: { caCerts: [makeCertificates().ca], cert: makeCertificates().clientCert, key: makeCertificates().clientKey },
    },
    async (t, server) => {
      const response = await run(t.handle(new Request(server.url)));
      await response.text();
      assert.equal(response.headers.get("x-client-cert"), "verified");
    },
  ));

test("tls: without a client certificate the server sees none", () =>
  withTls({ requestClientCert: true }, { tls: { caCerts: [makeCertificates().ca] } }, async (t, server) => {
    const response = await run(t.handle(new Request(server.url)));
    await response.text();
    assert.equal(response.headers.get("x-client-cert"), "none");
  }));

test("tls: http2 with http1 off speaks HTTP/2 through ALPN", () =>
  withTls({}, { http2: true, http1: false, tls: { caCerts: [makeCertificates().ca] } }, async (t, server) => {
    const response = await run(t.handle(new Request(server.url)));
    assert.equal(await response.text(), "over tls");
    assert.equal(response.headers.get("x-http-version"), "2.0");
  }));

test(
  "tls: http2 with http1 negotiates: 2.0 where offered, 1.1 otherwise (Bun: the node:http2 engine)",
  async () => {
    const ca = makeCertificates().ca;
    await withTls({}, { http2: true, tls: { caCerts: [ca] } }, async (t, server) => {
      const response = await run(t.handle(new Request(server.url)));
      await response.text();
      assert.equal(response.headers.get("x-http-version"), "2.0");
    });
    await withTls({ alpn: ["http/1.1"] }, { http2: true, tls: { caCerts: [ca] } }, async (t, server) => {
      const response = await run(t.handle(new Request(server.url)));
      await response.text();
      assert.equal(response.headers.get("x-http-version"), "1.1");
    });
  },
);

testOn(
  "bun",
  "runtime-lacks-feature",
  "tls: HTTP/2-only against an HTTP/1.1-only server is ConnectError on Bun",
  () =>
    withTls(
      { alpn: ["http/1.1"] },
      { http2: true, http1: false, tls: { caCerts: [makeCertificates().ca] } },
      async (t, s) => {
        const error = await failure(t, new Request(s.url));
        assert.ok(error instanceof ConnectError, String(error));
        assert.match(error.detail, /HTTP\/2/);
      },
    ),
);

testOn(
  "bun",
  "runtime-lacks-feature",
  "tls: dangerouslyIgnoreCertificateErrors skips verification on Bun",
  () =>
    withTls({}, { tls: { dangerouslyIgnoreCertificateErrors: true } }, async (t, server) => {
      assert.equal(await (await run(t.handle(new Request(server.url)))).text(), "over tls");
    }),
);

test("tls: a malformed PEM is InvalidOptions at construction", () => {
  assert.throws(() => HttpTransport.make({ tls: { caCerts: ["not pem"] } }), (error: unknown) => {
    assert.ok(error instanceof InvalidOptions);
    assert.equal(error.option, "tls.caCerts[0]");
    return true;
  });
});

test(`tls: suite ran on ${runtimeName}`, () => assert.ok(true));
