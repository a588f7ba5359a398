/**
 * HttpTransport against real third-party servers (tests/fixtures/peers.ts):
 * tinyproxy, nghttpd (h2c and h2), nginx on a unix socket. Each test is
 * skipped with "peer-not-installed" only when the binary is missing
 * (`bash .ci/peers.sh` installs them).
 */
import assert from "node:assert/strict";
import { Effect } from "effect";
import { ProxyError, UnsupportedProtocol } from "../core/errors.ts";
import type { Transport } from "../core/transport.ts";
import { HttpTransport, type HttpTransportOptions } from "../transports/http/mod.ts";
import {
  NGHTTPD_BODY,
  NGINX_BODY,
  type Peer,
  peerAvailable,
  type PeerName,
  startNghttpd,
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
  "peers: nghttpd h2c (prior knowledge): HTTP/2 on Deno, refused per request on Bun",
  () =>
    using(() => startNghttpd(), () => ({ http2: true, http1: false }), async (t, peer) => {
      if (runtimeName === "deno") {
        assert.equal(await (await run(t.handle(new Request(`${peer.url}/hello.txt`)))).text(), NGHTTPD_BODY);
      } else {
        const error = await run(Effect.flip(t.handle(new Request(`${peer.url}/hello.txt`))));
        assert.ok(error instanceof UnsupportedProtocol, String(error));
        assert.match(error.detail, /h2c/);
      }
    }),
);

withPeer("nghttpd", "peers: nghttpd h2 over TLS (ALPN)", () =>
  using(
    () => startNghttpd({ tls: true }),
    () => ({ http2: true, http1: false, tls: { caCerts: [makeCertificates().ca] } }),
    async (t, peer) => {
      assert.equal(await (await run(t.handle(new Request(`${peer.url}/hello.txt`)))).text(), NGHTTPD_BODY);
    },
  ));

withPeer(
  "nginx",
  "peers: nginx on a unix socket",
  () =>
    using(() => startNginxUnix(), (peer) => ({ uds: peer.path! }), async (t) => {
      const response = await run(t.handle(new Request("http://localhost/containers/json?all=1")));
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
