/**
 * HttpTransport basics against real servers: responses stream, 3xx come back
 * as they are, bodies go out as streams, non-http URLs are refused.
 */
import assert from "node:assert/strict";
import { Effect, Exit } from "effect";
import { UnsupportedProtocol } from "../core/errors.ts";
import { HttpTransport } from "../transports/http/mod.ts";
import { withServer } from "./fixtures/server.ts";
import { runtimeName, test } from "./harness.ts";
import { run, using } from "./http_helpers.ts";

test("http: GET returns the server's response", () =>
  withServer(
    (req) => new Response(`hello ${new URL(req.url).pathname}`, { headers: { "x-a": "1" } }),
    (server) =>
      using(HttpTransport.make(), async (t) => {
        const response = await run(t.handle(new Request(`${server.url}/there`)));
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("x-a"), "1");
        assert.equal(await response.text(), "hello /there");
      }),
  ));

test("http: json, arrayBuffer and body readers work on the returned response", () =>
  withServer(() => Response.json({ n: 1 }), (server) =>
    using(HttpTransport.make(), async (t) => {
      assert.deepEqual(await (await run(t.handle(new Request(server.url)))).json(), { n: 1 });
      const buffer = await (await run(t.handle(new Request(server.url)))).arrayBuffer();
      assert.equal(new TextDecoder().decode(buffer), '{"n":1}');
      const response = await run(t.handle(new Request(server.url)));
      let streamed = "";
      const decoder = new TextDecoder();
      for await (const chunk of response.body!) streamed += decoder.decode(chunk, { stream: true });
      assert.equal(streamed, '{"n":1}');
      assert.equal(response.bodyUsed, true);
    })));

test("http: the response streams (the first chunk arrives before the server finishes)", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  await withServer(() =>
    new Response(
      new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode("first;"));
          await gate;
          controller.enqueue(new TextEncoder().encode("second"));
          controller.close();
        },
      }),
    ), (server) =>
    using(HttpTransport.make(), async (t) => {
      const response = await run(t.handle(new Request(server.url)));
      const reader = response.body!.getReader();
      const first = await reader.read();
      assert.equal(new TextDecoder().decode(first.value), "first;");
      release();
      let rest = "";
      for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
      assert.equal(rest, "second");
    }));
});

test("http: a redirect is returned as it is, not followed", () =>
  withServer(
    (req) =>
      new URL(req.url).pathname === "/from"
        ? new Response(null, { status: 302, headers: { location: "/to" } })
        : new Response("followed"),
    (server) =>
      using(HttpTransport.make(), async (t) => {
        const response = await run(t.handle(new Request(`${server.url}/from`)));
        assert.equal(response.status, 302);
        assert.equal(response.headers.get("location"), "/to");
        await response.body?.cancel();
      }),
  ));

test("http: a streamed request body is sent (duplex half)", () =>
  withServer(
    async (req) => new Response(`got ${await req.text()}`),
    (server) =>
      using(HttpTransport.make(), async (t) => {
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(new TextEncoder().encode("a"));
            c.enqueue(new TextEncoder().encode("b"));
            c.close();
          },
        });
        const request = new Request(server.url, { method: "POST", body, duplex: "half" } as RequestInit);
        assert.equal(await (await run(t.handle(request))).text(), "got ab");
      }),
  ));

test("http: a buffered request body keeps its Content-Length", () =>
  withServer((req) => new Response(`${req.headers.get("content-length")}:${req.headers.get("transfer-encoding")}`), (
    server,
  ) =>
    using(HttpTransport.make({ retries: 2 }), async (t) => {
      const response = await run(t.handle(new Request(server.url, { method: "POST", body: "hello" })));
      assert.equal(await response.text(), "5:null");
    })));

test("http: a non-http URL is UnsupportedProtocol (file: is never read)", () =>
  using(HttpTransport.make(), async (t) => {
    const exit = await Effect.runPromiseExit(t.handle(new Request("file:///etc/hostname")));
    assert.ok(Exit.isFailure(exit));
    const error = await run(Effect.flip(t.handle(new Request("file:///etc/hostname"))));
    assert.ok(error instanceof UnsupportedProtocol, String(error));
    // The runtime's own fetch reads data: and blob: URLs: the error says to call it for them.
    const blob = URL.createObjectURL(new Blob(["hi"]));
    try {
      for (const url of ["data:text/plain,hi", blob, "file:///etc/hostname"]) {
        const refused = await t.fetch(new Request(url)).catch((e) => e);
        assert.ok(refused instanceof UnsupportedProtocol, String(refused));
        assert.match(refused.detail, /for a (data|blob|file): URL call the runtime's own fetch/);
      }
    } finally {
      URL.revokeObjectURL(blob);
    }
    const ftp = await t.fetch(new Request("ftp://x.test/")).catch((e) => e);
    assert.ok(ftp instanceof UnsupportedProtocol && !ftp.detail.includes("own fetch"), String(ftp));
  }));

test(`http: runs on ${runtimeName}`, () => assert.ok(runtimeName === "deno" || runtimeName === "bun"));
