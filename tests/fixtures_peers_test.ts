/**
 * Self-tests for the Debian peers (tests/fixtures/peers.ts: tinyproxy, nghttpd,
 * nginx), driven with the runtime's own fetch; skipped when a peer is not installed.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { runtimeName, test, type TestFn, testOn } from "./harness.ts";
import {
  NGHTTPD_BODY,
  NGINX_BODY,
  peerAvailable,
  type PeerName,
  startNghttpd,
  startNginxUnix,
  startTinyproxy,
} from "./fixtures/peers.ts";
import { withServer } from "./fixtures/server.ts";
import { makeCertificates, startTlsServer } from "./fixtures/tls.ts";
import { echoHandler, fetchWith, g, rawExchange } from "./fixtures_helpers.ts";

/** A test that needs a Debian peer: skipped with reason "peer-not-installed" when it is absent. */
const peerTest = (peer: PeerName, name: string, fn: TestFn): void => {
  if (peerAvailable(peer)) test(name, fn);
  else testOn(runtimeName === "deno" ? "bun" : "deno", "peer-not-installed", name, fn);
};

peerTest("tinyproxy", "peers: tinyproxy forwards a GET and tunnels CONNECT to any local port", async () => {
  const proxy = await startTinyproxy();
  const tls = await startTlsServer(() => new Response("via tinyproxy"));
  const { ca } = makeCertificates();
  try {
    await withServer(echoHandler, async (origin) => {
      const r = await fetchWith(`${origin.url}/t?q=1`, {
        deno: { proxy: { url: proxy.url } },
        bun: { proxy: proxy.url },
      });
      assert.equal(r.status, 200);
      assert.equal(r.body, "GET /t?q=1 ");
    });
    const tunnelled = await fetchWith(`${tls.url}/`, {
      deno: { proxy: { url: proxy.url }, caCerts: [ca] },
      bun: { proxy: proxy.url, tls: { ca } },
    });
    assert.equal(tunnelled.body, "via tinyproxy");
    const filtered = await rawExchange(proxy.port, "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n");
    assert.match(filtered, /^HTTP\/1\.[01] 403 /);
  } finally {
    await tls.close();
    await proxy.close();
  }
});

peerTest("tinyproxy", "peers: tinyproxy with BasicAuth answers 407 without credentials", async () => {
  const auth = { username: "user", password: "secret" };
  const proxy = await startTinyproxy({ auth });
  try {
    await withServer(echoHandler, async (origin) => {
      const denied = await fetchWith(`${origin.url}/a`, {
        deno: { proxy: { url: proxy.url } },
        bun: { proxy: proxy.url },
      });
      assert.equal(denied.status, 407);
      const ok = await fetchWith(`${origin.url}/a`, {
        deno: { proxy: { url: proxy.url, basicAuth: auth } },
        bun: { proxy: `http://user:secret@127.0.0.1:${proxy.port}` },
      });
      assert.equal(ok.status, 200);
      assert.equal(ok.body, "GET /a ");
    });
  } finally {
    await proxy.close();
  }
});

/** GET over h2c with prior knowledge: Deno's fetch can; Bun's can't, so node:http2 there. */
const h2cGet = async (url: string): Promise<{ status: number; body: string }> => {
  if (g.Deno && runtimeName === "deno") return await fetchWith(url, { deno: { http2: true, http1: false } });
  const session = http2.connect(new URL(url).origin);
  try {
    return await new Promise((resolve, reject) => {
      session.on("error", reject);
      const stream = session.request({ ":path": new URL(url).pathname });
      let status = 0;
      let body = "";
      stream.setEncoding("utf8");
      stream.on("response", (headers) => (status = Number(headers[":status"])));
      stream.on("data", (text: string) => (body += text));
      stream.on("end", () => resolve({ status, body }));
      stream.on("error", reject);
      stream.end();
    });
  } finally {
    await new Promise<void>((resolve) => session.close(() => resolve()));
  }
};

peerTest("nghttpd", "peers: nghttpd answers h2c with prior knowledge", async () => {
  const peer = await startNghttpd();
  try {
    const r = await h2cGet(`${peer.url}/hello.txt`);
    assert.equal(r.status, 200);
    assert.equal(r.body, NGHTTPD_BODY);
  } finally {
    await peer.close();
  }
});

peerTest("nghttpd", "peers: nghttpd answers h2 over TLS (ALPN) with the test CA", async () => {
  const peer = await startNghttpd({ tls: true });
  const { ca } = makeCertificates();
  try {
    const r = await fetchWith(`${peer.url}/`, { deno: { caCerts: [ca] }, bun: { tls: { ca }, protocol: "http2" } });
    assert.equal(r.status, 200);
    assert.equal(r.body, NGHTTPD_BODY);
  } finally {
    await peer.close();
  }
});

peerTest("nginx", "peers: nginx answers over its unix socket (and shows which request form arrived)", async () => {
  const peer = await startNginxUnix();
  const strict = await startNginxUnix({ rejectAbsoluteForm: true });
  const overUnix = (path: string) => ({
    deno: { proxy: { transport: "unix" as const, path } },
    bun: { unix: path },
  });
  try {
    const r = await fetchWith(`${peer.url}/x?y=1`, overUnix(peer.path!));
    assert.equal(r.status, 200);
    assert.equal(r.body, NGINX_BODY);
    assert.equal(r.headers.get("x-request-uri"), "/x?y=1");
    assert.equal(r.headers.get("x-host"), "localhost");
    // Deno's unix-socket client sends the absolute-form target, Bun the origin-form (docs/runtimes.md).
    assert.equal(
      r.headers.get("x-request"),
      runtimeName === "deno" ? "GET http://localhost/x?y=1 HTTP/1.1" : "GET /x?y=1 HTTP/1.1",
    );
    const s = await fetchWith(`${strict.url}/x`, overUnix(strict.path!));
    assert.equal(s.status, runtimeName === "deno" ? 400 : 200);
  } finally {
    await peer.close();
    await strict.close();
  }
});

test("peers: peerAvailable is false for a binary that is not there", () => {
  assert.equal(peerAvailable("nope-not-a-peer" as PeerName), false);
});
