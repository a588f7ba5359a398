/**
 * HttpTransport against real third-party servers (tests/fixtures/peers.ts):
 * tinyproxy, nghttpd (h2c and h2), nginx on a unix socket and over TLS
 * (HTTP/1.1 only, or HTTP/2 with gzip). microsocks: tests/http_socks_test.ts. Each test is
 * skipped with "peer-not-installed" only when the binary is missing
 * (`bash .ci/peers.sh` installs them).
 */
import assert from "node:assert/strict";
import { Effect } from "effect";
import { ProxyError } from "../core/errors.ts";
import { httpVersion } from "../core/http_version.ts";
import type { Transport } from "../core/transport.ts";
import { HttpTransport, type HttpTransportOptions } from "../transports/http/mod.ts";
import {
  NGHTTPD_BODY,
  NGINX_BODY,
  type Peer,
  peerAvailable,
  type PeerName,
  startNghttpd,
  startNginxTls,
  startNginxUnix,
  startTinyproxy,
} from "./fixtures/peers.ts";
import { withServer } from "./fixtures/server.ts";
import { makeCertificates, startTlsServer } from "./fixtures/tls.ts";
import { runtimeName, test, type TestFn, testOn } from "./harness.ts";

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect);

/**
 * Registers `fn` when `peer` is installed; otherwise a skipped test with the typed reason (the harness
 * skips a test registered for the other runtime, with the reason given).
 */
const withPeer = (peer: PeerName, name: string, fn: TestFn): void => {
  if (peerAvailable(peer)) test(name, fn);
  else testOn(runtimeName === "deno" ? "bun" : "deno", "peer-not-installed", name, fn);
};

const using = async <A>(
  start: () => Promise<Peer>,
  options: (peer: Peer) => HttpTransportOptions,
  fn: (t: Transport, peer: Peer) => Promise<A>,
): Promise<A> => {
  const peer = await start();
  let t: Transport | undefined;
  try {
    t = HttpTransport.make(options(peer));
    return await fn(t, peer);
  } finally {
    if (t) await run(t.close());
    await peer.close();
  }
};

withPeer(
  "tinyproxy",
  "peers: tinyproxy forwards an http request (absolute-form)",
  () =>
    withServer(
      (req) => new Response(`origin ${new URL(req.url).pathname}`),
      (server) =>
        using(startTinyproxy, (peer) => ({ proxy: peer.url }), async (t) => {
          const response = await run(t.handle(new Request(`${server.url}/through-tinyproxy`)));
          assert.equal(await response.text(), "origin /through-tinyproxy");
        }),
    ),
);

withPeer("tinyproxy", "peers: tinyproxy tunnels https with CONNECT", async () => {
  const certs = makeCertificates();
  const origin = await startTlsServer(() => new Response("tls through tinyproxy"));
  try {
    await using(startTinyproxy, (peer) => ({ proxy: peer.url, tls: { caCerts: [certs.ca] } }), async (t) => {
      assert.equal(await (await run(t.handle(new Request(origin.url)))).text(), "tls through tinyproxy");
    });
  } finally {
    await origin.close();
  }
});

withPeer("tinyproxy", "peers: tinyproxy with BasicAuth: credentials pass; a refused tunnel is ProxyError", async () => {
  const certs = makeCertificates();
  const origin = await startTlsServer(() => new Response("tls authorized"));
  try {
    await withServer(() => new Response("authorized"), async (server) => {
      const auth = { username: "ada", password: "lovelace" };
      const options = (peer: Peer, password: string): HttpTransportOptions => ({
        proxy: peer.url.replace("//", `//ada:${password}@`),
        tls: { caCerts: [certs.ca] },
      });
      await using(() => startTinyproxy({ auth }), (peer) => options(peer, "lovelace"), async (t) => {
        assert.equal(await (await run(t.handle(new Request(server.url)))).text(), "authorized");
        assert.equal(await (await run(t.handle(new Request(origin.url)))).text(), "tls authorized");
      });
      await using(() => startTinyproxy({ auth }), (peer) => options(peer, "n0pe"), async (t) => {
        const error = await run(Effect.flip(t.handle(new Request(origin.url))));
        assert.ok(error instanceof ProxyError, String(error));
        assert.doesNotMatch(error.message, /n0pe/);
        // tinyproxy answers a forwarded request with bad credentials 401 (not the standard 407), which
        // can't be told from an origin's 401: it comes back as a response.
        const response = await run(t.handle(new Request(server.url)));
        assert.equal(response.status, 401);
        assert.equal(response.headers.get("server")?.startsWith("tinyproxy"), true);
        await response.body?.cancel();
      });
    });
  } finally {
    await origin.close();
  }
});

withPeer(
  "nghttpd",
  "peers: nghttpd h2c (prior knowledge): HTTP/2 on both (Bun: the node:http2 engine)",
  () =>
    using(() => startNghttpd(), () => ({ http2: true, http1: false }), async (t, peer) => {
      for (const path of ["/hello.txt", "/"]) {
        assert.equal(await (await run(t.handle(new Request(`${peer.url}${path}`)))).text(), NGHTTPD_BODY);
      }
      const missing = await t.fetch(new Request(`${peer.url}/missing`));
      assert.equal(missing.status, 404);
      assert.equal(httpVersion(missing), "HTTP/2");
      await missing.body?.cancel();
    }),
);

withPeer("nghttpd", "peers: nghttpd h2 over TLS, negotiated (http2 with http1)", () =>
  using(
    () => startNghttpd({ tls: true }),
    () => ({ http2: true, tls: { caCerts: [makeCertificates().ca] } }),
    async (t, peer) => {
      assert.equal(await (await run(t.handle(new Request(`${peer.url}/hello.txt`)))).text(), NGHTTPD_BODY);
      assert.equal(await (await t.fetch(new Request(`${peer.url}/`))).text(), NGHTTPD_BODY);
    },
  ));

withPeer(
  "nginx",
  "peers: nginx over TLS offering only HTTP/1.1: negotiation falls back, connections are reused",
  () =>
    using(
      () => startNginxTls(),
      () => ({ http2: true, tls: { caCerts: [makeCertificates().ca] } }),
      async (t, peer) => {
        const served: Array<string | null> = [];
        for (const path of ["/a", "/b", "/c"]) {
          const response = await (path === "/b"
            ? t.fetch(new Request(`${peer.url}${path}`))
            : run(t.handle(new Request(`${peer.url}${path}`))));
          assert.equal(await response.text(), NGINX_BODY);
          assert.equal(response.headers.get("x-protocol"), "HTTP/1.1");
          // Bun's node:http2 engine saw ALPN's answer; Deno's fetch negotiated inside and does not say.
          assert.equal(httpVersion(response), runtimeName === "bun" ? "HTTP/1.1" : undefined);
          served.push(response.headers.get("x-connection"));
        }
        assert.equal(new Set(served).size, 1, "one kept-alive connection after the ALPN answer");
        // Had a later request asked ALPN again, its probe would have taken the next connection number.
        const plain = HttpTransport.make({ tls: { caCerts: [makeCertificates().ca] } });
        try {
          const next = await run(plain.handle(new Request(peer.url)));
          await next.text();
          assert.equal(Number(next.headers.get("x-connection")), Number(served[0]) + 1);
        } finally {
          await run(plain.close());
        }
      },
    ),
);

withPeer("nginx", "peers: nginx over TLS with HTTP/2 and gzip: negotiated HTTP/2, body decompressed", () =>
  using(
    () => startNginxTls({ http2: true, gzip: true }),
    () => ({ http2: true, tls: { caCerts: [makeCertificates().ca] } }),
    async (t, peer) => {
      const response = await run(t.handle(new Request(`${peer.url}/z`)));
      assert.equal(response.headers.get("x-protocol"), "HTTP/2.0");
      assert.equal(response.headers.get("content-encoding"), "gzip");
      assert.equal(await response.text(), NGINX_BODY);
    },
  ));

withPeer("nghttpd", "peers: nghttpd h2 over TLS (ALPN)", () =>
  using(
    () => startNghttpd({ tls: true }),
    () => ({ http2: true, http1: false, tls: { caCerts: [makeCertificates().ca] } }),
    async (t, peer) => {
      const response = await run(t.handle(new Request(`${peer.url}/hello.txt`)));
      assert.equal(httpVersion(response), "HTTP/2");
      assert.equal(await response.text(), NGHTTPD_BODY);
    },
  ));

withPeer(
  "nginx",
  "peers: nginx on a unix socket",
  () =>
    using(() => startNginxUnix(), (peer) => ({ uds: peer.path! }), async (t) => {
      const response = await run(t.handle(new Request("http://localhost/containers/json?all=1")));
      assert.equal(httpVersion(response), "HTTP/1.1");
      assert.equal(await response.text(), NGINX_BODY);
      assert.equal(response.headers.get("x-request-uri"), "/containers/json?all=1");
    }),
);

withPeer(
  "nginx",
  "peers: nginx rejecting absolute-form is served (origin-form on both runtimes)",
  () =>
    using(() => startNginxUnix({ rejectAbsoluteForm: true }), (peer) => ({ uds: peer.path! }), async (t) => {
      const response = await run(t.handle(new Request("http://localhost/x?y=1")));
      assert.equal(await response.text(), NGINX_BODY);
      assert.equal(response.headers.get("x-request"), "GET /x?y=1 HTTP/1.1");
      assert.equal(response.headers.get("x-host"), "localhost");
    }),
);
