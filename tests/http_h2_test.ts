/**
 * `http2: true` (HTTP/2 allowed, HTTP/1.1 too: ALPN negotiation) against real
 * TLS servers (tests/fixtures/tls.ts: node:http2's secure server, which offers
 * `h2` and `http/1.1`, or `http/1.1` alone), on both runtimes and both lanes.
 * Deno's own client negotiates; on Bun the node:http2 engine does
 * (transports/http/node_http2.ts, negotiated.ts), and where the server picks
 * HTTP/1.1 the origin is handed to Bun's fetch. The same assertions hold on
 * both, except where a runtime shows what it can observe (the connect phase).
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { ConnectError, DecodingError, ReadError, ReadTimeout, RemoteProtocolError } from "../core/errors.ts";
import { Client } from "../client/client.ts";
import { HttpTransport, type HttpTransportOptions } from "../transports/http/mod.ts";
import { startFaultServer } from "./fixtures/faults.ts";
import type { Handler } from "./fixtures/server.ts";
import { makeCertificates, startTlsServer, type TlsServerOptions, type TlsTestServer } from "./fixtures/tls.ts";
import { runtimeName, test } from "./harness.ts";
import { bothLanes, type Lanes } from "./lanes.ts";
import { assertConnectStall, rejection, run, using } from "./http_helpers.ts";

const ca = () => makeCertificates().ca;
const h2 = (extra: HttpTransportOptions = {}): HttpTransportOptions => ({
  http2: true,
  tls: { caCerts: [ca()] },
  ...extra,
});

/** A TLS server with `handler` and a transport with `options`; both closed afterwards. */
const withH2 = async (
  handler: Handler,
  serverOptions: TlsServerOptions,
  options: HttpTransportOptions,
  fn: (send: (request: Request) => Promise<Response>, server: TlsTestServer) => Promise<void>,
  lanes: Lanes,
): Promise<void> => {
  const server = await startTlsServer(handler, serverOptions);
  try {
    await using(HttpTransport.make(options), (t) => fn((request) => lanes.send(t, request), server));
  } finally {
    await server.close();
  }
};

const waitFor = async (what: string, done: () => boolean, ms = 3_000): Promise<void> => {
  for (const end = Date.now() + ms; !done(); await new Promise((resolve) => setTimeout(resolve, 10))) {
    if (Date.now() > end) assert.fail(`${what} within ${ms} ms`);
  }
};

bothLanes(
  "h2: http2 with http1 negotiates: HTTP/2 where the server offers h2, HTTP/1.1 where it does not",
  async (lanes) => {
    const both = await startTlsServer(() => new Response("negotiated"));
    const h1Only = await startTlsServer(() => new Response("h1 only"), { alpn: ["http/1.1"] });
    try {
      await using(HttpTransport.make(h2()), async (t) => {
        const viaH2 = await lanes.send(t, new Request(`${both.url}/a`));
        assert.equal(viaH2.headers.get("x-http-version"), "2.0");
        assert.equal(await viaH2.text(), "negotiated");
        for (const path of ["/b", "/c"]) {
          const viaH1 = await lanes.send(t, new Request(`${h1Only.url}${path}`, { method: "POST", body: path }));
          assert.equal(viaH1.headers.get("x-http-version"), "1.1");
          assert.equal(await viaH1.text(), "h1 only");
        }
      });
    } finally {
      await both.close();
      await h1Only.close();
    }
  },
);

bothLanes(
  "h2: concurrent requests share one HTTP/2 connection",
  (lanes) =>
    withH2(() => new Response("m"), {}, h2(), async (send, server) => {
      const burst = async () => {
        const responses = await Promise.all(Array.from({ length: 6 }, () => send(new Request(`${server.url}/`))));
        assert.deepEqual(await Promise.all(responses.map((r) => r.text())), Array(6).fill("m"));
        assert.ok(responses.every((r) => r.headers.get("x-http-version") === "2.0"));
      };
      await burst();
      // Bun's HTTP/2 engine makes one connection per origin, which the burst waits for. Deno's client opens
      // one per request of a first burst (it learns the protocol only once connected), then keeps one.
      const cold = server.connections;
      if (runtimeName === "bun") assert.equal(cold, 1);
      await burst();
      await burst();
      assert.equal(server.connections, cold, "later bursts open no connection");
    }, lanes),
);

bothLanes("h2: a streamed request body goes up, a streamed response comes down chunk by chunk", (lanes) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const encoder = new TextEncoder();
  const handler: Handler = async (request) => {
    const received = await request.text();
    return new Response(
      new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode(`got ${received.length}:`));
          await gate;
          controller.enqueue(encoder.encode("second"));
          controller.close();
        },
      }),
    );
  };
  return withH2(handler, {}, h2(), async (send, server) => {
    const upload = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 64; i++) controller.enqueue(encoder.encode("0123456789abcdef".repeat(64)));
        controller.close();
      },
    });
    const response = await send(
      new Request(`${server.url}/up`, { method: "POST", body: upload, duplex: "half" } as RequestInit),
    );
    assert.equal(response.headers.get("x-http-version"), "2.0");
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.endsWith(":")) text += decoder.decode((await reader.read()).value);
    assert.equal(text, `got ${64 * 1024}:`, "the first chunk arrived before the server sent the second");
    release();
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value);
    assert.equal(text, `got ${64 * 1024}:second`);
  }, lanes);
});

bothLanes("h2: a gzip body is decompressed, as fetch does; HEAD and 204 have no body", (lanes) => {
  const plain = "compressed over HTTP/2 ".repeat(50);
  const handler: Handler = (request) => {
    if (new URL(request.url).pathname === "/empty") return new Response(null, { status: 204 });
    return new Response(gzipSync(new TextEncoder().encode(plain)), { headers: { "content-encoding": "gzip" } });
  };
  return withH2(handler, {}, h2(), async (send, server) => {
    const response = await send(new Request(`${server.url}/gz`));
    assert.equal(response.headers.get("x-http-version"), "2.0");
    assert.equal(response.headers.get("content-encoding"), "gzip");
    assert.equal(await response.text(), plain);
    const head = await send(new Request(`${server.url}/gz`, { method: "HEAD" }));
    assert.equal(head.body, null);
    const empty = await send(new Request(`${server.url}/empty`));
    assert.equal(empty.status, 204);
    assert.equal(empty.body, null);
  }, lanes);
});

bothLanes(
  "h2: a body that does not decompress fails the read (typed on Bun's HTTP/2 engine)",
  (lanes) =>
    withH2(
      () => new Response("not gzip at all", { headers: { "content-encoding": "gzip" } }),
      {},
      h2(),
      async (send, s) => {
        const response = await send(new Request(`${s.url}/`));
        let caught: unknown;
        try {
          await response.text();
        } catch (error) {
          caught = error;
        }
        // The fetch engines leave the runtime's own TypeError here: their body classifiers do not place it.
        if (runtimeName === "bun") assert.ok(caught instanceof DecodingError, String(caught));
        else assert.ok(caught instanceof TypeError, String(caught));
      },
      lanes,
    ),
);

bothLanes(
  "h2: URL userinfo becomes Authorization: Basic, as the runtime's fetch does",
  (lanes) =>
    withH2((request) => new Response(String(request.headers.get("authorization"))), {}, h2(), async (send, server) => {
      const url = server.url.replace("https://", "https://ada:p%40ss@");
      const response = await send(new Request(`${url}/`));
      assert.equal(response.headers.get("x-http-version"), "2.0");
      assert.equal(await response.text(), `Basic ${btoa("ada:p@ss")}`);
      const explicit = await send(new Request(`${url}/`, { headers: { authorization: "Bearer t" } }));
      // Deno's fetch lets the userinfo replace an explicit header; Bun's (and so its HTTP/2 engine) keeps the header.
      assert.equal(await explicit.text(), runtimeName === "deno" ? `Basic ${btoa("ada:p@ss")}` : "Bearer t");
    }, lanes),
);

bothLanes("h2: mutual TLS over negotiated HTTP/2 presents the client certificate", (lanes) => {
  const { clientCert, clientKey } = makeCertificates();
  return withH2(
    () => new Response("mtls"),
    { requestClientCert: true },
    h2({ tls: { caCerts: [ca()], cert: clientCert, key: clientKey } }),
    async (send, server) => {
      const response = await send(new Request(server.url));
      assert.equal(await response.text(), "mtls");
      assert.equal(response.headers.get("x-http-version"), "2.0");
      assert.equal(response.headers.get("x-client-cert"), "verified");
    },
    lanes,
  );
});

bothLanes(
  "h2: an unknown CA is ConnectError saying certificate verification failed",
  (lanes) =>
    withH2(
      () => new Response("x"),
      {},
      h2({ tls: { caCerts: [makeCertificates().otherCa] } }),
      async (send, server) => {
        const error = await rejection(send(new Request(server.url)));
        assert.ok(error instanceof ConnectError, String(error));
        assert.match(error.detail, /certificate verification failed/);
      },
      lanes,
    ),
);

bothLanes(
  "h2: a TLS handshake that stalls is ConnectTimeout on Bun, ReadTimeout (the safer class) on Deno",
  (lanes) =>
    (async () => {
      const stalled = await startFaultServer("stallHeaders");
      const t = HttpTransport.make(h2({ timeout: { connect: 150, read: 600 } }));
      try {
        const started = Date.now();
        const error = await rejection(lanes.send(t, new Request(`https://127.0.0.1:${stalled.port}/`)));
        const elapsed = Date.now() - started;
        assertConnectStall(error, elapsed, { connect: 150, read: 600 });
      } finally {
        await run(t.close());
        await stalled.close();
      }
    })(),
);

bothLanes(
  "h2: with retries, a stalled handshake is retried where it is a ConnectTimeout (Bun)",
  (lanes) =>
    (async () => {
      const stalled = await startFaultServer("stallHeaders");
      const t = HttpTransport.make(h2({ retries: 1, timeout: { connect: 100, read: 300 } }));
      try {
        await rejection(lanes.send(t, new Request(`https://127.0.0.1:${stalled.port}/`)));
        await waitFor("the connections arrive", () => stalled.connections >= (runtimeName === "bun" ? 2 : 1));
        // A ReadTimeout may have been sent: never retried. A ConnectTimeout never was: retried.
        assert.equal(stalled.connections, runtimeName === "bun" ? 2 : 1);
      } finally {
        await run(t.close());
        await stalled.close();
      }
    })(),
);

bothLanes(
  "h2: no response headers within read is ReadTimeout",
  (lanes) =>
    withH2(
      () => new Promise<Response>(() => {}),
      {},
      h2({ timeout: { connect: 1_000, read: 200 } }),
      async (send, s) => {
        const started = Date.now();
        const error = await rejection(send(new Request(`${s.url}/never`)));
        const elapsed = Date.now() - started;
        assert.ok(error instanceof ReadTimeout, String(error));
        // Bun's HTTP/2 engine saw the connection made: `read` alone; Deno's fetch: connect + read.
        if (runtimeName === "bun") assert.ok(elapsed < 1_000, `fired after ${elapsed} ms`);
        else assert.ok(elapsed >= 1_190, `fired after ${elapsed} ms`);
      },
      lanes,
    ),
);

bothLanes("h2: a body that stalls is ReadTimeout when read, after the bytes that came", (lanes) => {
  const stall: Handler = () =>
    new Response(new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(new TextEncoder().encode("part")) }));
  return withH2(stall, {}, h2({ timeout: { read: 200 } }), async (send, server) => {
    const response = await send(new Request(server.url));
    const reader = response.body!.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), "part");
    const error = await rejection(reader.read());
    assert.ok(error instanceof ReadTimeout, String(error));
  }, lanes);
});

/** A raw HTTP/2 server over TLS (h2 only) whose streams `onStream` drives: for resets the fixture cannot make. */
const startRawH2 = async (onStream: (stream: http2.ServerHttp2Stream, path: string) => void) => {
  const certs = makeCertificates();
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createSecureServer({ cert: certs.serverCert, key: certs.serverKey });
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    session.on("error", () => {});
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    onStream(stream as http2.ServerHttp2Stream, String(headers[":path"]));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `https://localhost:${(server.address() as { port: number }).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
      }),
  };
};

bothLanes("h2: a stream reset before the headers is a protocol error; mid-body it is ReadError", async (lanes) => {
  const server = await startRawH2((stream, path) => {
    if (path === "/refuse") return stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    stream.respond({ ":status": 200 });
    // `close(code)` after data ends the stream cleanly on both runtimes' servers; `destroy` resets it.
    stream.write("some", () => setTimeout(() => stream.destroy(new Error("the handler died mid-body")), 20));
  });
  try {
    await using(HttpTransport.make(h2()), async (t) => {
      const refused = await rejection(lanes.send(t, new Request(`${server.url}/refuse`)));
      // Deno's client reports a reset before the headers without placing it (ReadError); Bun's engine knows.
      assert.ok(refused instanceof (runtimeName === "bun" ? RemoteProtocolError : ReadError), String(refused));
      const response = await lanes.send(t, new Request(`${server.url}/midbody`));
      assert.equal(response.status, 200);
      const error = await rejection(response.text());
      assert.ok(error instanceof ReadError, String(error));
    });
  } finally {
    await server.close();
  }
});

bothLanes("h2: cancelling a body keeps the connection serving; close() closes it", (lanes) => {
  const big = "x".repeat(256 * 1024);
  return (async () => {
    const server = await startTlsServer(() => new Response(big));
    const t = HttpTransport.make(h2());
    try {
      const first = await lanes.send(t, new Request(`${server.url}/1`));
      await first.body!.cancel();
      const second = await lanes.send(t, new Request(`${server.url}/2`));
      assert.equal((await second.text()).length, big.length);
      assert.equal(server.connections, 1);
      assert.equal(server.open, 1);
      await run(t.close());
      await waitFor("the server sees the connection closed", () => server.open === 0);
      const error = await rejection(lanes.send(t, new Request(server.url)));
      assert.ok(error instanceof ConnectError, String(error));
      assert.match(error.detail, /closed/);
    } finally {
      await run(t.close());
      await server.close();
    }
  })();
});

bothLanes(
  "h2: an idle connection is closed after keepAliveExpiry",
  (lanes) =>
    withH2(() => new Response("idle"), {}, h2({ limits: { keepAliveExpiry: 100 } }), async (send, server) => {
      assert.equal(await (await send(new Request(server.url))).text(), "idle");
      assert.equal(server.open, 1);
      await waitFor("the idle connection is closed", () => server.open === 0);
    }, lanes),
);

/**
 * HTTPX's "disable HTTP/2 for one domain through mounts":
 * `mounts={"all://": HTTPTransport(http2=True), "all://*example.org": HTTPTransport()}`.
 * Two loopback TLS servers stand for the two domains, both offering h2: `127.0.0.1` for
 * everything, and `localhost` for `*example.org` (a name that must reach loopback without DNS).
 */
bothLanes("h2: HTTPX's mounts example: HTTP/2 everywhere except one domain", async (lanes) => {
  const everywhere = await startTlsServer(() => new Response("everywhere"));
  const oneDomain = await startTlsServer(() => new Response("one domain"));
  const client = Client.make({
    mounts: {
      "all://": HttpTransport.make({ http2: true, tls: { caCerts: [ca()] } }),
      "all://*localhost": HttpTransport.make({ tls: { caCerts: [ca()] } }),
    },
  });
  try {
    const a = await lanes.call(client, `https://127.0.0.1:${everywhere.port}/`);
    assert.equal(await a.text(), "everywhere");
    assert.equal(a.headers.get("x-http-version"), "2.0");
    const b = await lanes.call(client, `${oneDomain.url}/`);
    assert.equal(await b.text(), "one domain");
    assert.equal(b.headers.get("x-http-version"), "1.1", "HTTP/2 is off for the mounted domain");
  } finally {
    await run(client.close());
    await everywhere.close();
    await oneDomain.close();
  }
});

test(`h2: suite ran on ${runtimeName}`, () => assert.ok(true));
