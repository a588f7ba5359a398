/**
 * HttpTransport through a real forward proxy (tests/fixtures/proxy.ts):
 * absolute-form for http targets, CONNECT for https, credentials as
 * Proxy-Authorization, and the proxy's failures as ProxyError.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import net from "node:net";
import { Effect } from "effect";
import { InvalidOptions, ProxyError, type TransportError } from "../core/errors.ts";
import type { Transport } from "../core/transport.ts";
import { HttpTransport, type HttpTransportOptions } from "../transports/http/mod.ts";
import { refusedPort } from "./fixtures/faults.ts";
import { startProxy, type TestProxy } from "./fixtures/proxy.ts";
import { withServer } from "./fixtures/server.ts";
import { makeCertificates, startTlsServer } from "./fixtures/tls.ts";
import { runtimeName, test, testOn } from "./harness.ts";

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect);

const withProxy = async <A>(
  proxyOptions: Parameters<typeof startProxy>[0],
  options: (proxy: TestProxy) => HttpTransportOptions,
  fn: (t: Transport, proxy: TestProxy) => Promise<A>,
): Promise<A> => {
  const proxy = await startProxy(proxyOptions);
  let t: Transport | undefined;
  try {
    t = HttpTransport.make(options(proxy));
    return await fn(t, proxy);
  } finally {
    if (t) await run(t.close());
    await proxy.close();
  }
};

const withCredentials = (proxy: TestProxy, user: string, password: string): string =>
  proxy.url.replace("http://", `http://${user}:${password}@`);

const failure = (t: Transport, request: Request): Promise<TransportError> => run(Effect.flip(t.handle(request)));

test("proxy: an http target goes through the proxy in absolute-form", () =>
  withServer(
    (req) => new Response(`origin saw ${new URL(req.url).pathname}`),
    (server) =>
      withProxy({}, (proxy) => ({ proxy: proxy.url }), async (t, proxy) => {
        const response = await run(t.handle(new Request(`${server.url}/via?x=1`)));
        assert.equal(await response.text(), "origin saw /via");
        assert.equal(proxy.requests.length, 1);
        assert.equal(proxy.requests[0].method, "GET");
        assert.equal(proxy.requests[0].target, `${server.url}/via?x=1`);
      }),
  ));

test("proxy: an https target is tunnelled with CONNECT", async () => {
  const certs = makeCertificates();
  const origin = await startTlsServer(() => new Response("secret origin"));
  try {
    await withProxy({}, (proxy) => ({ proxy: proxy.url, tls: { caCerts: [certs.ca] } }), async (t, proxy) => {
      const response = await run(t.handle(new Request(`${origin.url}/tunnel`)));
      assert.equal(await response.text(), "secret origin");
      assert.equal(proxy.requests.length, 1);
      assert.equal(proxy.requests[0].method, "CONNECT");
      assert.equal(proxy.requests[0].target, `localhost:${origin.port}`);
    });
  } finally {
    await origin.close();
  }
});

test("proxy: credentials in the proxy URL become Proxy-Authorization (http and CONNECT)", async () => {
  const certs = makeCertificates();
  const origin = await startTlsServer(() => new Response("tls ok"));
  try {
    await withServer(() => new Response("plain ok"), (server) =>
      withProxy(
        { auth: { username: "ada", password: "p@ss w0rd" } },
        (proxy) => ({ proxy: withCredentials(proxy, "ada", "p%40ss%20w0rd"), tls: { caCerts: [certs.ca] } }),
        async (t, proxy) => {
          assert.equal(await (await run(t.handle(new Request(server.url)))).text(), "plain ok");
          assert.equal(await (await run(t.handle(new Request(origin.url)))).text(), "tls ok");
          const expected = `Basic ${Buffer.from("ada:p@ss w0rd").toString("base64")}`;
          assert.deepEqual(proxy.requests.map((r) => [r.method, r.proxyAuthorization]), [
            ["GET", expected],
            ["CONNECT", expected],
          ]);
        },
      ));
  } finally {
    await origin.close();
  }
});

test("proxy: a 407 is ProxyError for http and https targets, and the password never shows", async () => {
  const certs = makeCertificates();
  const origin = await startTlsServer(() => new Response("unreachable"));
  try {
    await withServer(() => new Response("unreachable"), (server) =>
      withProxy(
        { auth: { username: "ada", password: "right" } },
        (proxy) => ({ proxy: withCredentials(proxy, "ada", "wr0ngS3cret"), tls: { caCerts: [certs.ca] } }),
        async (t) => {
          for (const url of [server.url, origin.url]) {
            const error = await failure(t, new Request(url));
            assert.ok(error instanceof ProxyError, `${url}: ${error}`);
            assert.match(error.detail, /407|authentication/i);
            assert.doesNotMatch(error.message, /wr0ngS3cret/);
            assert.doesNotMatch(String(error.detail), /wr0ngS3cret/);
          }
        },
      ));
  } finally {
    await origin.close();
  }
});

test("proxy: a proxy that refuses CONNECT is ProxyError", async () => {
  const certs = makeCertificates();
  const origin = await startTlsServer(() => new Response("unreachable"));
  try {
    await withProxy(
      { refuseConnect: true },
      (proxy) => ({ proxy: proxy.url, tls: { caCerts: [certs.ca] } }),
      async (t) => {
        const error = await failure(t, new Request(origin.url));
        assert.ok(error instanceof ProxyError, String(error));
      },
    );
  } finally {
    await origin.close();
  }
});

test("proxy: an unreachable proxy is ProxyError, not a ConnectError of the target", async () => {
  const dead = await refusedPort();
  await withServer(() => new Response("unreachable"), async (server) => {
    const t = HttpTransport.make({ proxy: `http://user:hunter2@127.0.0.1:${dead.port}` });
    try {
      const error = await failure(t, new Request(server.url));
      assert.ok(error instanceof ProxyError, String(error));
      assert.doesNotMatch(error.message, /hunter2/);
    } finally {
      await run(t.close());
    }
  });
});

/** A minimal SOCKS5 server (no auth, CONNECT to 127.0.0.1 only) that counts tunnels. */
const startSocks5 = async (): Promise<{ port: number; tunnels: () => number; close(): Promise<void> }> => {
  const sockets = new Set<net.Socket>();
  let tunnels = 0;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    client.once("data", () => {
      client.write(Buffer.from([5, 0]));
      client.once("data", (req: Buffer) => {
        const type = req[3];
        const port = req.readUInt16BE(req.length - 2);
        if (type !== 1 && type !== 3) return client.destroy();
        tunnels++;
        const upstream = net.connect({ host: "127.0.0.1", port }, () => {
          client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
          client.pipe(upstream);
          upstream.pipe(client);
        });
        sockets.add(upstream);
        upstream.on("close", () => sockets.delete(upstream));
        upstream.on("error", () => client.destroy());
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    tunnels: () => tunnels,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
};

test("proxy: socks5:// proxies work (Deno natively; Bun through node:http and the socks package)", async () => {
  const socks = await startSocks5();
  try {
    await withServer(() => new Response("through socks"), async (server) => {
      const t = HttpTransport.make({ proxy: `socks5://127.0.0.1:${socks.port}` });
      try {
        assert.equal(await (await run(t.handle(new Request(server.url)))).text(), "through socks");
        assert.equal(socks.tunnels(), 1);
      } finally {
        await run(t.close());
      }
    });
  } finally {
    await socks.close();
  }
});

test("proxy: extra headers for a socks5:// proxy are refused (SOCKS has nowhere to send them)", () => {
  assert.throws(
    () => HttpTransport.make({ proxy: { url: "socks5://127.0.0.1:1080", headers: { "x-a": "1" } } }),
    (error: unknown) => error instanceof InvalidOptions && error.option === "proxy.headers",
  );
});

testOn("deno", "runtime-lacks-feature", "proxy: extra proxy headers are refused on Deno", () => {
  assert.throws(
    () => HttpTransport.make({ proxy: { url: "http://127.0.0.1:3128", headers: { "x-a": "1" } } }),
    (error: unknown) => error instanceof InvalidOptions && error.runtime === "deno" && error.option === "proxy.headers",
  );
});

testOn(
  "bun",
  "runtime-lacks-feature",
  "proxy: extra proxy headers reach the proxy on Bun",
  () =>
    withServer(
      () => new Response("ok"),
      (server) =>
        withProxy(
          {},
          (proxy) => ({ proxy: { url: proxy.url, headers: { "x-proxy-tag": "t1" } } }),
          async (t, proxy) => {
            await (await run(t.handle(new Request(server.url)))).text();
            assert.equal(proxy.requests[0].headers["x-proxy-tag"], "t1");
          },
        ),
    ),
);

test(`proxy: suite ran on ${runtimeName}`, () => assert.ok(true));
