/**
 * Self-tests for the network fixtures (tests/fixtures/*.ts): each one is driven
 * with the runtime's own fetch, so the transport's tests can trust them.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import net from "node:net";
import { runtimeName, test, type TestFn, testOn } from "./harness.ts";
import { delayedStart, type FaultBehaviour, refusedPort, startFaultServer } from "./fixtures/faults.ts";
import {
  NGHTTPD_BODY,
  NGINX_BODY,
  peerAvailable,
  type PeerName,
  startNghttpd,
  startNginxUnix,
  startTinyproxy,
} from "./fixtures/peers.ts";
import { startProxy } from "./fixtures/proxy.ts";
import { withServer } from "./fixtures/server.ts";
import { makeCertificates, startTlsServer } from "./fixtures/tls.ts";

// ---------------------------------------------------------------------------
// The runtimes' fetch extensions, typed locally (no bun-types in the check config).

interface DenoHttpClientOptions {
  caCerts?: string[];
  cert?: string;
  key?: string;
  http1?: boolean;
  http2?: boolean;
  proxy?: { url: string; basicAuth?: { username: string; password: string } } | {
    transport: "unix";
    path: string;
  };
}
interface DenoHttpClient {
  close(): void;
}
interface BunFetchInit {
  tls?: { ca?: string; cert?: string; key?: string };
  proxy?: string;
  unix?: string;
  protocol?: "http2" | "http1.1";
}
const g = globalThis as unknown as {
  Deno?: { createHttpClient(options: DenoHttpClientOptions): DenoHttpClient };
};

/**
 * One fetch call with the client options of each runtime: on Deno a
 * `Deno.createHttpClient` made for this call (closed after the body is read),
 * on Bun fetch's own options. Returns status, headers and body text.
 */
const fetchWith = async (
  url: string,
  options: { deno?: DenoHttpClientOptions; bun?: BunFetchInit; init?: RequestInit } = {},
): Promise<{ status: number; headers: Headers; body: string }> => {
  if (g.Deno && runtimeName === "deno") {
    const client = g.Deno.createHttpClient(options.deno ?? {});
    try {
      const response = await fetch(url, { ...options.init, client } as RequestInit);
      return { status: response.status, headers: response.headers, body: await response.text() };
    } finally {
      client.close();
    }
  }
  const response = await fetch(url, { ...options.init, ...options.bun } as RequestInit);
  return { status: response.status, headers: response.headers, body: await response.text() };
};

/** The thrown error's text, with a Deno `cause` appended. */
const describe = (error: unknown): string => {
  const e = error as { name?: string; message?: string; code?: string; cause?: { message?: string } };
  return `${e?.name} ${e?.code ?? ""} ${e?.message ?? ""} ${e?.cause?.message ?? ""}`;
};

const rejectsWith = async (promise: Promise<unknown>, pattern: RegExp): Promise<void> => {
  let failure: unknown = undefined;
  try {
    await promise;
  } catch (error) {
    failure = error;
  }
  assert.ok(failure !== undefined, "expected a rejection");
  assert.match(describe(failure), pattern);
};

/** A test that needs a Debian peer: skipped with reason "peer-not-installed" when it is absent. */
const peerTest = (peer: PeerName, name: string, fn: TestFn): void => {
  if (peerAvailable(peer)) test(name, fn);
  else testOn(runtimeName === "deno" ? "bun" : "deno", "peer-not-installed", name, fn);
};

/** Sends raw bytes to 127.0.0.1:port and returns everything received until the peer closes. */
const rawExchange = (port: number, bytes: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => (received += text));
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
    socket.write(bytes);
  });

const echoHandler = async (request: Request): Promise<Response> => {
  const url = new URL(request.url);
  const body = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
  return new Response(`${request.method} ${url.pathname}${url.search} ${body}`, {
    headers: { "x-host": request.headers.get("host") ?? "" },
  });
};

// ---------------------------------------------------------------------------
// proxy.ts

test("proxy: forwards an absolute-form GET and records it", async () => {
  const proxy = await startProxy();
  try {
    await withServer(echoHandler, async (origin) => {
      const r = await fetchWith(`${origin.url}/a/b?c=1`, {
        deno: { proxy: { url: proxy.url } },
        bun: { proxy: proxy.url },
      });
      assert.equal(r.status, 200);
      assert.equal(r.body, "GET /a/b?c=1 ");
      assert.equal(r.headers.get("x-host"), `127.0.0.1:${origin.port}`);
      assert.equal(proxy.requests.length, 1);
      assert.equal(proxy.requests[0].method, "GET");
      assert.equal(proxy.requests[0].target, `${origin.url}/a/b?c=1`);
      assert.equal(proxy.requests[0].proxyAuthorization, undefined);
    });
  } finally {
    await proxy.close();
  }
});

test("proxy: forwards a POST body and streams the response back", async () => {
  const proxy = await startProxy();
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const handler = async (request: Request): Promise<Response> => {
    if (request.method === "POST") return await echoHandler(request);
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode("first;"));
        await released; // only sent once the client has seen the first chunk through the proxy
        controller.enqueue(new TextEncoder().encode("second"));
        controller.close();
      },
    });
    return new Response(body);
  };
  try {
    await withServer(handler, async (origin) => {
      const post = await fetchWith(`${origin.url}/p`, {
        deno: { proxy: { url: proxy.url } },
        bun: { proxy: proxy.url },
        init: { method: "POST", body: "payload" },
      });
      assert.equal(post.body, "POST /p payload");

      const run = async (init: RequestInit) => {
        const response = await fetch(`${origin.url}/stream`, init);
        const reader = response.body!.getReader();
        const decoder = new TextDecoder();
        let text = decoder.decode((await reader.read()).value);
        assert.equal(text, "first;");
        release();
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
          text += decoder.decode(chunk.value);
        }
        assert.equal(text, "first;second");
      };
      if (g.Deno && runtimeName === "deno") {
        const client = g.Deno.createHttpClient({ proxy: { url: proxy.url } });
        try {
          await run({ client } as RequestInit);
        } finally {
          client.close();
        }
      } else await run({ proxy: proxy.url } as RequestInit);
    });
  } finally {
    await proxy.close();
  }
});

test("proxy: tunnels CONNECT to a local TLS server", async () => {
  const proxy = await startProxy();
  const tls = await startTlsServer(() => new Response("secret"));
  try {
    const { ca } = makeCertificates();
    const r = await fetchWith(`${tls.url}/s`, {
      deno: { proxy: { url: proxy.url }, caCerts: [ca] },
      bun: { proxy: proxy.url, tls: { ca } },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body, "secret");
    assert.equal(proxy.requests[0].method, "CONNECT");
    assert.equal(proxy.requests[0].target, `localhost:${tls.port}`);
  } finally {
    await tls.close();
    await proxy.close();
  }
});

test("proxy: with auth, 407 without credentials and forwarding with them (both forms)", async () => {
  const auth = { username: "user", password: "p@ss" };
  const proxy = await startProxy({ auth });
  const tls = await startTlsServer(() => new Response("secret"));
  const { ca } = makeCertificates();
  const withCreds = `http://user:p%40ss@127.0.0.1:${proxy.port}`;
  try {
    await withServer(echoHandler, async (origin) => {
      const denied = await fetchWith(`${origin.url}/x`, {
        deno: { proxy: { url: proxy.url } },
        bun: { proxy: proxy.url },
      });
      assert.equal(denied.status, 407);
      const ok = await fetchWith(`${origin.url}/x`, {
        deno: { proxy: { url: proxy.url, basicAuth: auth } },
        bun: { proxy: withCreds },
      });
      assert.equal(ok.status, 200);
      assert.equal(ok.body, "GET /x ");
      assert.equal(proxy.requests.at(-1)!.proxyAuthorization, `Basic ${btoa("user:p@ss")}`);
    });
    await rejectsWith(
      fetchWith(`${tls.url}/s`, {
        deno: { proxy: { url: proxy.url }, caCerts: [ca] },
        bun: { proxy: proxy.url, tls: { ca } },
      }),
      /407|proxy|tunnel|auth/i,
    );
    assert.equal(proxy.requests.at(-1)!.method, "CONNECT");
    const tunnelled = await fetchWith(`${tls.url}/s`, {
      deno: { proxy: { url: proxy.url, basicAuth: auth }, caCerts: [ca] },
      bun: { proxy: withCreds, tls: { ca } },
    });
    assert.equal(tunnelled.body, "secret");
  } finally {
    await tls.close();
    await proxy.close();
  }
});

test("proxy: refuseConnect answers CONNECT with 403; non-local targets get 403", async () => {
  const proxy = await startProxy({ refuseConnect: true });
  const tls = await startTlsServer(() => new Response("secret"));
  const { ca } = makeCertificates();
  try {
    await rejectsWith(
      fetchWith(`${tls.url}/s`, {
        deno: { proxy: { url: proxy.url }, caCerts: [ca] },
        bun: { proxy: proxy.url, tls: { ca } },
      }),
      /./,
    );
    assert.equal(tls.connections, 0);
    const connect = await rawExchange(proxy.port, "CONNECT localhost:1 HTTP/1.1\r\nHost: localhost:1\r\n\r\n");
    assert.match(connect, /^HTTP\/1\.1 403 /);
  } finally {
    await tls.close();
    await proxy.close();
  }
  const open = await startProxy();
  const nothing = await refusedPort();
  try {
    const bad = await fetchWith(`${nothing.url}/`, { deno: { proxy: { url: open.url } }, bun: { proxy: open.url } });
    assert.equal(bad.status, 502);
    const get = await rawExchange(open.port, "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n");
    assert.match(get, /^HTTP\/1\.1 403 /);
    const connect = await rawExchange(open.port, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    assert.match(connect, /^HTTP\/1\.1 403 /);
    const v6 = await rawExchange(open.port, "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n");
    assert.match(v6, /^HTTP\/1\.1 403 /);
    assert.deepEqual(open.requests.map((r) => r.target), [
      `${nothing.url}/`,
      "http://example.com/",
      "example.com:443",
      "[::1]:443",
    ]);
  } finally {
    await open.close();
  }
});

// ---------------------------------------------------------------------------
// tls.ts

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
    // Deno negotiates h2 through ALPN by default; Bun's fetch speaks HTTP/1.1 unless asked (RUNTIMES.md).
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

// ---------------------------------------------------------------------------
// faults.ts

const faultCases: ReadonlyArray<{ behaviour: FaultBehaviour; phase: "fetch" | "body"; timeout?: boolean }> = [
  { behaviour: "closeBeforeResponse", phase: "fetch" },
  { behaviour: "closeMidBody", phase: "body" },
  { behaviour: "closeMidChunked", phase: "body" },
  { behaviour: "stallHeaders", phase: "fetch", timeout: true },
  { behaviour: "stallBody", phase: "body", timeout: true },
  { behaviour: "garbage", phase: "fetch" },
  { behaviour: "reset", phase: "fetch" },
];

for (const { behaviour, phase, timeout } of faultCases) {
  test(`faults: ${behaviour} fails during ${phase === "fetch" ? "fetch()" : "the body read"}`, async () => {
    const server = await startFaultServer(behaviour);
    try {
      const signal = timeout ? AbortSignal.timeout(300) : undefined;
      const response = fetch(`${server.url}/f`, { signal });
      if (phase === "fetch") {
        await rejectsWith(response, timeout ? /TimeoutError/ : /./);
      } else {
        const r = await response;
        assert.equal(r.status, 200);
        await rejectsWith(r.text(), timeout ? /TimeoutError/ : /error reading a body|ECONNRESET/);
      }
      assert.equal(server.connections, 1);
      assert.equal(server.requests, 1);
    } finally {
      await server.close();
    }
  });
}

test("faults: ok answers, and counts connections", async () => {
  const server = await startFaultServer("ok");
  try {
    for (let i = 0; i < 2; i++) {
      const r = await fetch(server.url);
      assert.equal(await r.text(), "ok");
    }
    assert.equal(server.connections, 2); // `Connection: close`: one connection per request
  } finally {
    await server.close();
  }
});

test("faults: refusedPort refuses; delayedStart refuses until it listens", async () => {
  const refused = await refusedPort();
  await rejectsWith(fetch(refused.url), /ECONNREFUSED|Connection refused/);
  await refused.close();

  const late = await delayedStart(800);
  try {
    await rejectsWith(fetch(late.url), /ECONNREFUSED|Connection refused/);
    assert.equal(late.connections, 0);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const r = await fetch(late.url);
    assert.equal(await r.text(), "ok");
    assert.equal(late.connections, 1);
  } finally {
    await late.close();
  }
  const never = await delayedStart(60_000, "stallHeaders");
  await never.close(); // closing before the start cancels the timer (no leak)
});

// ---------------------------------------------------------------------------
// peers.ts

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
    // Deno's unix-socket client sends the absolute-form target, Bun the origin-form (RUNTIMES.md).
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
