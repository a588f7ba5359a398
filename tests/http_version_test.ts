/**
 * `httpVersion(response)`: the HTTP version a network response came over,
 * where the engine knows it, on both lanes and both runtimes, against real
 * servers (Deno.serve / Bun.serve on loopback and on a unix socket, node's
 * TLS servers offering h2 and http/1.1 or http/1.1 alone). Where fetch
 * chose by ALPN without saying (Deno with `http2` and `http1` over TLS) it
 * is `undefined`, never a guess; `tracing` puts it on the span as
 * `network.protocol.version`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tracer } from "effect";
import { Client, HandlerTransport, HttpTransport, type HttpTransportOptions, httpVersion, tracing } from "../mod.ts";
import { serve, withServer } from "./fixtures/server.ts";
import { makeCertificates, startTlsServer } from "./fixtures/tls.ts";
import { runtimeName } from "./harness.ts";
import { bothLanes } from "./lanes.ts";
import { using } from "./http_helpers.ts";

const answer = (request: Request) =>
  new URL(request.url).pathname === "/empty"
    ? new Response(null, { status: 204 })
    : new URL(request.url).pathname === "/moved"
    ? new Response(null, { status: 302, headers: { location: "/there" } })
    : new Response(`ok ${request.method}`);

// The simple path and the full path (a timeout, retries, a pool bound) each patch the response.
const PATHS: ReadonlyArray<HttpTransportOptions> = [{}, { timeout: 5_000 }, {
  retries: 1,
  limits: { maxConnections: 2 },
}];

bothLanes(
  "version: HTTP/1.1 by default, on the simple and the full path, for bodies and no bodies",
  (lanes) =>
    withServer(answer, async (server) => {
      for (const options of PATHS) {
        await using(HttpTransport.make(options), async (t) => {
          const got = await lanes.send(t, new Request(`${server.url}/a`));
          assert.equal(httpVersion(got), "HTTP/1.1", JSON.stringify(options));
          const copy = got.clone();
          assert.equal(httpVersion(copy), "HTTP/1.1", "a clone keeps it");
          assert.equal(await got.text(), "ok GET");
          assert.equal(await copy.text(), "ok GET");
          const head = await lanes.send(t, new Request(`${server.url}/a`, { method: "HEAD" }));
          assert.equal(httpVersion(head), "HTTP/1.1", "a HEAD response too");
          const empty = await lanes.send(t, new Request(`${server.url}/empty`));
          assert.equal(empty.status, 204);
          assert.equal(httpVersion(empty), "HTTP/1.1", "a 204 too");
        });
      }
    }),
);

bothLanes("version: the client's answer after a redirect has it; an in-process app's has none", async ({ call }) => {
  await withServer(answer, async (server) => {
    await using client = Client.make();
    const followed = await call(client, `${server.url}/moved`);
    assert.equal(await followed.text(), "ok GET");
    assert.equal(httpVersion(followed), "HTTP/1.1");
  });
  await using inProcess = Client.make({ transport: HandlerTransport.make(answer) });
  const local = await call(inProcess, "http://app.test/a");
  assert.equal(await local.text(), "ok GET");
  assert.equal(httpVersion(local), undefined, "no connection, no version");
  assert.equal(httpVersion(new Response("made here")), undefined);
});

bothLanes("version: over a unix socket (the node:http engine on Deno, fetch on Bun): HTTP/1.1", async (lanes) => {
  const dir = mkdtempSync(join(tmpdir(), "sy-version-"));
  const path = join(dir, "s.sock");
  const server = serve(answer, { unix: path });
  try {
    await using(HttpTransport.make({ uds: path }), async (t) => {
      const got = await lanes.send(t, new Request("http://localhost/a"));
      assert.equal(await got.text(), "ok GET");
      assert.equal(httpVersion(got), "HTTP/1.1");
    });
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

bothLanes(
  "version: HTTP/2 where it is certain; under ALPN what the engine saw (Deno's fetch does not say)",
  async (lanes) => {
    const tls = { caCerts: [makeCertificates().ca] };
    const both = await startTlsServer((request) => new Response(`h2 ${new URL(request.url).pathname}`));
    const h1Only = await startTlsServer(() => new Response("h1"), { alpn: ["http/1.1"] });
    try {
      await using(HttpTransport.make({ http2: true, http1: false, tls }), async (t) => {
        const got = await lanes.send(t, new Request(`${both.url}/only`));
        assert.equal(got.headers.get("x-http-version"), "2.0");
        assert.equal(await got.text(), "h2 /only");
        assert.equal(httpVersion(got), "HTTP/2", "HTTP/2 alone: nothing else could have been spoken");
      });
      await using(HttpTransport.make({ http2: true, tls }), async (t) => {
        const viaH2 = await lanes.send(t, new Request(`${both.url}/alpn`));
        assert.equal(viaH2.headers.get("x-http-version"), "2.0");
        await viaH2.text();
        const viaH1 = await lanes.send(t, new Request(`${h1Only.url}/alpn`));
        assert.equal(viaH1.headers.get("x-http-version"), "1.1");
        await viaH1.text();
        // Bun negotiates in its node:http2 engine and knows; Deno's fetch negotiates inside and reports nothing.
        assert.equal(httpVersion(viaH2), runtimeName === "bun" ? "HTTP/2" : undefined);
        assert.equal(httpVersion(viaH1), runtimeName === "bun" ? "HTTP/1.1" : undefined);
      });
    } finally {
      await both.close();
      await h1Only.close();
    }
  },
);

bothLanes("version: tracing puts it on the span as network.protocol.version", async ({ call }) => {
  const spans: Tracer.NativeSpan[] = [];
  const tracer = Tracer.make({ span: (options) => (spans.push(new Tracer.NativeSpan(options)), spans.at(-1)!) });
  await withServer(answer, async (server) => {
    await using client = Client.make({ plugins: [tracing({ tracer })] });
    await (await call(client, `${server.url}/a`)).text();
  });
  await using inProcess = Client.make({ transport: HandlerTransport.make(answer), plugins: [tracing({ tracer })] });
  await (await call(inProcess, "http://app.test/a")).text();
  assert.equal(spans.length, 2);
  assert.equal(spans[0]!.attributes.get("network.protocol.version"), "1.1");
  assert.equal(spans[1]!.attributes.has("network.protocol.version"), false, "unknown: left out, as OpenTelemetry asks");
});
