/**
 * Self-tests for the Debian peers (tests/fixtures/peers.ts: tinyproxy, nghttpd,
 * nginx, microsocks), driven with the runtime's own fetch (microsocks: by hand, as
 * Bun's fetch has no SOCKS); skipped when a peer is not installed.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import net from "node:net";
import { runtimeName, test, type TestFn, testOn } from "./harness.ts";
import {
  NGHTTPD_BODY,
  NGINX_BODY,
  peerAvailable,
  type PeerName,
  socksDestinations,
  startMicrosocks,
  startNghttpd,
  startNginxTls,
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

peerTest("nginx", "peers: nginx over TLS says which protocol and connection served a request", async () => {
  const h1 = await startNginxTls();
  const h2 = await startNginxTls({ http2: true });
  const { ca } = makeCertificates();
  try {
    const r = await fetchWith(`${h1.url}/`, { deno: { caCerts: [ca] }, bun: { tls: { ca } } });
    assert.equal(r.body, NGINX_BODY);
    assert.equal(r.headers.get("x-protocol"), "HTTP/1.1");
    assert.match(r.headers.get("x-connection") ?? "", /^\d+$/);
    const r2 = await fetchWith(`${h2.url}/`, { deno: { caCerts: [ca] }, bun: { tls: { ca }, protocol: "http2" } });
    assert.equal(r2.headers.get("x-protocol"), "HTTP/2.0");
  } finally {
    await h1.close();
    await h2.close();
  }
});

/** One SOCKS5 CONNECT by hand (RFC 1928/1929), then an HTTP/1.1 GET through it; the raw answer. */
const throughSocks = (
  port: number,
  target: { host: string; port: number },
  auth?: { username: string; password: string },
): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const bytes = (...parts: Array<number | string>) =>
      Uint8Array.from(parts.flatMap((p) => (typeof p === "number" ? [p] : [...new TextEncoder().encode(p)])));
    let step = 0;
    let answer = "";
    socket.on("error", reject);
    socket.on("close", () => resolve(answer));
    socket.write(bytes(5, 1, auth ? 2 : 0));
    socket.on("data", (chunk: Uint8Array) => {
      if (step === 0 && auth) {
        step = 1;
        const { username: u, password: p } = auth;
        return void socket.write(bytes(1, u.length, u, p.length, p));
      }
      if (step <= 1) {
        step = 2;
        if (auth && chunk[1] !== 0) return void socket.destroy();
        const h = target.host;
        return void socket.write(bytes(5, 1, 0, 3, h.length, h, target.port >> 8, target.port & 255));
      }
      if (step === 2) {
        step = 3;
        if (chunk[1] !== 0) return void socket.destroy();
        return void socket.write(`GET /via-socks HTTP/1.1\r\nHost: ${target.host}\r\nConnection: close\r\n\r\n`);
      }
      answer += new TextDecoder().decode(chunk);
    });
  });

peerTest("microsocks", "peers: microsocks tunnels to a local server and logs the destination it was sent", async () => {
  const auth = { username: "ada", password: "pw" };
  const open = await startMicrosocks();
  const locked = await startMicrosocks({ auth });
  try {
    await withServer(echoHandler, async (origin) => {
      const target = { host: "localhost", port: origin.port };
      assert.match(await throughSocks(open.port, target), /^HTTP\/1\.1 200[\s\S]*GET \/via-socks/);
      assert.deepEqual(socksDestinations(open.log()), [`localhost:${origin.port}`]);
      assert.match(await throughSocks(locked.port, target, auth), /^HTTP\/1\.1 200/);
      assert.equal(await throughSocks(locked.port, target, { ...auth, password: "nope" }), "");
      assert.equal(locked.url, `socks5://ada:pw@127.0.0.1:${locked.port}`);
    });
  } finally {
    await open.close();
    await locked.close();
  }
});

test("peers: peerAvailable is false for a binary that is not there", () => {
  assert.equal(peerAvailable("nope-not-a-peer" as PeerName), false);
});
