/**
 * Self-tests for the TLS fixture (tests/fixtures/tls.ts): certificates, ALPN and
 * mutual TLS, driven with the runtime's own fetch so the transport's tests can trust it.
 */
import assert from "node:assert/strict";
import { runtimeName, test } from "./harness.ts";
import { makeCertificates, startTlsServer } from "./fixtures/tls.ts";
import { fetchWith, rejectsWith } from "./fixtures_helpers.ts";

test("tls: certificates chain to the CA and are cached", () => {
  const certs = makeCertificates();
  assert.equal(makeCertificates(), certs);
  for (const pem of [certs.ca, certs.serverCert, certs.clientCert, certs.otherCa, certs.otherClientCert]) {
    assert.match(pem, /^-----BEGIN CERTIFICATE-----\n/);
  }
  for (const pem of [certs.serverKey, certs.clientKey, certs.caKey, certs.otherCaKey, certs.otherClientKey]) {
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
  }
  assert.notEqual(certs.ca, certs.otherCa);
});

test("tls: fetch trusts the server with the CA and refuses it without (or with the other CA)", async () => {
  const server = await startTlsServer((request) => new Response(`hello ${new URL(request.url).pathname}`));
  const { ca, otherCa } = makeCertificates();
  try {
    const r = await fetchWith(`${server.url}/x`, { deno: { caCerts: [ca] }, bun: { tls: { ca } } });
    assert.equal(r.status, 200);
    assert.equal(r.body, "hello /x");
    // Deno negotiates h2 through ALPN by default; Bun's fetch speaks HTTP/1.1 unless asked (docs/runtimes.md).
    assert.equal(r.headers.get("x-http-version"), runtimeName === "deno" ? "2.0" : "1.1");
    assert.equal(r.headers.get("x-client-cert"), "none");
    const byIp = await fetchWith(`https://127.0.0.1:${server.port}/ip`, {
      deno: { caCerts: [ca] },
      bun: { tls: { ca } },
    });
    assert.equal(byIp.body, "hello /ip");
    await rejectsWith(fetchWith(`${server.url}/`), /UnknownIssuer|SELF_SIGNED_CERT_IN_CHAIN|certificate/i);
    await rejectsWith(
      fetchWith(`${server.url}/`, { deno: { caCerts: [otherCa] }, bun: { tls: { ca: otherCa } } }),
      /UnknownIssuer|SELF_SIGNED_CERT_IN_CHAIN|certificate/i,
    );
  } finally {
    await server.close();
  }
});

test("tls: x-http-version reports HTTP/1.1 and HTTP/2 as the client chose", async () => {
  const server = await startTlsServer(() => new Response("v"));
  const h1Only = await startTlsServer(() => new Response("v"), { alpn: ["http/1.1"] });
  const h2Only = await startTlsServer(() => new Response("v"), { alpn: ["h2"] });
  const { ca } = makeCertificates();
  try {
    const h1 = await fetchWith(server.url, { deno: { caCerts: [ca], http2: false }, bun: { tls: { ca } } });
    assert.equal(h1.headers.get("x-http-version"), "1.1");
    const h2 = await fetchWith(server.url, { deno: { caCerts: [ca] }, bun: { tls: { ca }, protocol: "http2" } });
    assert.equal(h2.headers.get("x-http-version"), "2.0");
    const forced = await fetchWith(h1Only.url, { deno: { caCerts: [ca] }, bun: { tls: { ca } } });
    assert.equal(forced.headers.get("x-http-version"), "1.1");
    const only2 = await fetchWith(h2Only.url, { deno: { caCerts: [ca] }, bun: { tls: { ca }, protocol: "http2" } });
    assert.equal(only2.headers.get("x-http-version"), "2.0");
    // An HTTP/1.1-only client is refused in the handshake (no common ALPN protocol).
    await rejectsWith(
      fetchWith(h2Only.url, { deno: { caCerts: [ca], http2: false }, bun: { tls: { ca } } }),
      /NoApplicationProtocol|EPROTO/,
    );
  } finally {
    await server.close();
    await h1Only.close();
    await h2Only.close();
  }
});

test("tls: mutual TLS reports verified, unverified and absent client certificates", async () => {
  const server = await startTlsServer(() => new Response("m"), { requestClientCert: true });
  const strict = await startTlsServer(() => new Response("m"), { requireClientCert: true });
  const c = makeCertificates();
  const client = (cert: string, key: string) => ({
    deno: { caCerts: [c.ca], cert, key },
    bun: { tls: { ca: c.ca, cert, key } },
  });
  try {
    const verified = await fetchWith(server.url, client(c.clientCert, c.clientKey));
    assert.equal(verified.headers.get("x-client-cert"), "verified");
    const foreign = await fetchWith(server.url, client(c.otherClientCert, c.otherClientKey));
    assert.equal(foreign.headers.get("x-client-cert"), "unverified");
    const none = await fetchWith(server.url, { deno: { caCerts: [c.ca] }, bun: { tls: { ca: c.ca } } });
    assert.equal(none.headers.get("x-client-cert"), "none");
    const strictOk = await fetchWith(strict.url, client(c.clientCert, c.clientKey));
    assert.equal(strictOk.headers.get("x-client-cert"), "verified");
    await rejectsWith(fetchWith(strict.url, { deno: { caCerts: [c.ca] }, bun: { tls: { ca: c.ca } } }), /./);
  } finally {
    await server.close();
    await strict.close();
  }
});
