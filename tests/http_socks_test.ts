/**
 * SOCKS5 proxies (`socks5://`, `socks5h://`) through a real SOCKS5 server,
 * Debian's microsocks (tests/fixtures/peers.ts; skipped with
 * "peer-not-installed" when absent), on both runtimes and both lanes: Deno
 * speaks SOCKS5 in its own client; Bun's fetch cannot, so the node:http
 * engine does, through a tunnel made by the `socks` package
 * (transports/http/socks.ts). The same assertions hold on both, except where a
 * runtime shows what it can observe (the connect phase).
 */
import assert from "node:assert/strict";
import net from "node:net";
import { InvalidOptions, ProxyError } from "../core/errors.ts";
import type { Transport } from "../core/transport.ts";
import { HttpTransport, type HttpTransportOptions, makeHttpTransport } from "../transports/http/mod.ts";
import { refusedPort } from "./fixtures/faults.ts";
import {
  type LoggingPeer,
  NGINX_BODY,
  peerAvailable,
  socksDestinations,
  startMicrosocks,
  startNginxTls,
} from "./fixtures/peers.ts";
import { serve, type TestServer } from "./fixtures/server.ts";
import { makeCertificates } from "./fixtures/tls.ts";
import { runtimeName, test, testOn } from "./harness.ts";
import { bothLanes, type Lanes } from "./lanes.ts";
import { assertConnectStall, rejection, run, using } from "./http_helpers.ts";

/** Both lanes when microsocks is installed; otherwise skipped with the typed reason. */
const withSocks = (name: string, fn: (lanes: Lanes) => Promise<void>): void => {
  if (peerAvailable("microsocks")) return bothLanes(name, fn);
  testOn(runtimeName === "deno" ? "bun" : "deno", "peer-not-installed", name, () => {});
};

/** microsocks, an http origin (`localhost`) and an https origin (nginx over TLS), all closed afterwards. */
const withOrigins = async (
  socksOptions: Parameters<typeof startMicrosocks>[0],
  fn: (socks: LoggingPeer, http: TestServer, https: LoggingPeer) => Promise<void>,
): Promise<void> => {
  const socks = await startMicrosocks(socksOptions);
  const http = serve((request) =>
    new URL(request.url).pathname === "/auth"
      ? new Response(String(request.headers.get("authorization")))
      : new Response(`plain ${new URL(request.url).pathname}`)
  );
  let https: LoggingPeer | undefined;
  try {
    https = await startNginxTls();
    await fn(socks, http, https);
  } finally {
    await https?.close();
    await http.close();
    await socks.close();
  }
};

const tls = (): HttpTransportOptions["tls"] => ({ caCerts: [makeCertificates().ca] });
const byName = (server: TestServer) => server.url.replace("127.0.0.1", "localhost");

for (const scheme of ["socks5", "socks5h"]) {
  withSocks(
    `socks: ${scheme}:// carries http and https (TLS through the tunnel), names resolved by the proxy`,
    (lanes) =>
      withOrigins({}, async (socks, http, https) => {
        const proxy = socks.url.replace("socks5:", `${scheme}:`);
        await using(HttpTransport.make({ proxy, tls: tls() }), async (t) => {
          const plain = await lanes.send(t, new Request(`${byName(http)}/p?q=1`));
          assert.equal(await plain.text(), "plain /p");
          const secure = await lanes.send(t, new Request(`${https.url}/s`));
          assert.equal(await secure.text(), NGINX_BODY);
          const byIp = await lanes.send(t, new Request(`${http.url}/ip`));
          assert.equal(await byIp.text(), "plain /ip");
        });
        // As HTTPX (httpcore) and Deno do for both schemes: the name goes to the proxy, an IP as an address.
        assert.deepEqual(socksDestinations(socks.log()), [
          `localhost:${http.port}`,
          `localhost:${https.port}`,
          `127.0.0.1:${http.port}`,
        ]);
      }),
  );
}

withSocks(
  "socks: URL userinfo becomes Authorization: Basic, as fetch does",
  (lanes) =>
    withOrigins({}, async (socks, http) => {
      await using(HttpTransport.make({ proxy: socks.url }), async (t) => {
        const response = await lanes.send(t, new Request(`${byName(http).replace("//", "//ada:p%40ss@")}/auth`));
        assert.equal(await response.text(), `Basic ${btoa("ada:p@ss")}`);
      });
    }),
);

withSocks(
  "socks: a kept-alive connection is one tunnel for several requests",
  (lanes) =>
    withOrigins({}, async (socks, _http, https) => {
      await using(HttpTransport.make({ proxy: socks.url, tls: tls() }), async (t) => {
        const connections = [];
        for (let i = 0; i < 3; i++) {
          const response = await lanes.send(t, new Request(`${https.url}/${i}`));
          assert.equal(await response.text(), NGINX_BODY);
          connections.push(response.headers.get("x-connection"));
        }
        assert.equal(new Set(connections).size, 1, "nginx served them on one connection");
      });
      assert.equal(socksDestinations(socks.log()).length, 1);
    }),
);

withSocks(
  "socks: username/password auth passes; a wrong password is ProxyError that never shows it",
  (lanes) =>
    withOrigins({ auth: { username: "ada", password: "s3cret!" } }, async (socks, http, https) => {
      await using(HttpTransport.make({ proxy: socks.url, tls: tls() }), async (t) => {
        assert.equal(await (await lanes.send(t, new Request(`${byName(http)}/a`))).text(), "plain /a");
        assert.equal(await (await lanes.send(t, new Request(https.url))).text(), NGINX_BODY);
      });
      const wrong = socks.url.replace("s3cret!", "wr0ngP4ss").replace("s3cret%21", "wr0ngP4ss");
      assert.match(wrong, /wr0ngP4ss/);
      await using(HttpTransport.make({ proxy: wrong, tls: tls() }), async (t) => {
        for (const url of [`${byName(http)}/b`, https.url]) {
          const error = await rejection(lanes.send(t, new Request(url)));
          assert.ok(error instanceof ProxyError, String(error));
          for (const text of [error.message, error.detail, String(error), JSON.stringify(error), String(error.cause)]) {
            assert.doesNotMatch(text, /wr0ngP4ss/);
          }
        }
      });
    }),
);

withSocks("socks: a target the proxy cannot reach is ProxyError", (lanes) =>
  withOrigins({}, async (socks) => {
    const dead = await refusedPort();
    await using(HttpTransport.make({ proxy: socks.url }), async (t) => {
      const error = await rejection(lanes.send(t, new Request(`${dead.url}/`)));
      assert.ok(error instanceof ProxyError, String(error));
      assert.match(error.detail, /SOCKS5 proxy/);
    });
  }));

withSocks(
  "socks: environment proxies: ALL_PROXY=socks5h:// carries the request",
  (lanes) =>
    withOrigins({}, async (socks, http) => {
      const env = { ALL_PROXY: socks.url.replace("socks5:", "socks5h:"), NO_PROXY: "" };
      await using(makeHttpTransport({}, env), async (t) => {
        assert.equal(await (await lanes.send(t, new Request(`${byName(http)}/env`))).text(), "plain /env");
      });
      assert.deepEqual(socksDestinations(socks.log()), [`localhost:${http.port}`]);
    }),
);

withSocks(
  "socks: with localAddress the proxy sees the connection come from it (Bun); Deno refuses it",
  (lanes) =>
    withOrigins({}, async (socks, http) => {
      const options: HttpTransportOptions = { proxy: socks.url, localAddress: "127.0.0.2", trustEnv: false };
      if (runtimeName === "deno") {
        // Deno's client would connect to the SOCKS proxy from the default address, silently.
        assert.throws(
          () => HttpTransport.make(options),
          (e: unknown) => e instanceof InvalidOptions && e.option === "localAddress",
        );
        return;
      }
      await using(HttpTransport.make(options), async (t) => {
        assert.equal(await (await lanes.send(t, new Request(`${byName(http)}/from`))).text(), "plain /from");
      });
      assert.match(socks.log(), /client\[\d+\] 127\.0\.0\.2: connected to/);
    }),
);

bothLanes("socks: an unreachable SOCKS proxy is ProxyError, its password never shown", async (lanes) => {
  const dead = await refusedPort();
  await using(HttpTransport.make({ proxy: `socks5://ada:hunter2@127.0.0.1:${dead.port}` }), async (t) => {
    const error = await rejection(lanes.send(t, new Request("http://127.0.0.1:8089/")));
    assert.ok(error instanceof ProxyError, String(error));
    assert.doesNotMatch(`${error.message} ${String(error.cause)}`, /hunter2/);
  });
});

/** A SOCKS "proxy" that accepts and never answers the greeting: the tunnel stalls in the connect phase. */
const startSilentProxy = async (): Promise<{ port: number; connections: () => number; close(): Promise<void> }> => {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
};

bothLanes(
  "socks: a proxy that never answers is ConnectTimeout on Bun, ReadTimeout (the safer class) on Deno",
  (lanes) =>
    (async () => {
      const silent = await startSilentProxy();
      const t: Transport = HttpTransport.make({
        proxy: `socks5://127.0.0.1:${silent.port}`,
        timeout: { connect: 150, read: 600 },
      });
      try {
        const started = Date.now();
        const error = await rejection(lanes.send(t, new Request("http://127.0.0.1:8089/")));
        const elapsed = Date.now() - started;
        assertConnectStall(error, elapsed, { connect: 150, read: 600 });
        assert.equal(silent.connections(), 1);
      } finally {
        await run(t.close());
        await silent.close();
      }
    })(),
);

test(`socks: suite ran on ${runtimeName}`, () => assert.ok(true));
