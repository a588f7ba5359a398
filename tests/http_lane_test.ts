/**
 * HttpTransport's Promise lane (`transport.fetch`): the same work as `handle`,
 * without Effect: same responses, same typed errors, the signal's reason on abort.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect } from "effect";
import { ConnectError, ProxyError, ReadError, UnsupportedProtocol } from "../core/errors.ts";
import type { Transport } from "../core/transport.ts";
import { HttpTransport } from "../transports/http/mod.ts";
import { refusedPort, startFaultServer } from "./fixtures/faults.ts";
import { startProxy } from "./fixtures/proxy.ts";
import { serve, withServer } from "./fixtures/server.ts";
import { runtimeName, test } from "./harness.ts";
import { run, using, withStallingServer } from "./http_helpers.ts";

const lane = (t: Transport): (request: Request) => Promise<Response> => {
  assert.ok(t.fetch, "the fast path has a Promise lane");
  return t.fetch;
};

const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected a rejection");
};

test("http lane: every HttpTransport has both lanes; the full path's Promise lane is its Effect lane, run", () =>
  withServer((req) => new Response(`ok ${req.method}`), async (server) => {
    for (
      const options of [{}, { trustEnv: false }, { retries: 1 }, { timeout: 1_000 }, { timeout: { total: 1_000 } }, {
        limits: { maxConnections: 4 },
      }]
    ) {
      await using(HttpTransport.make(options), async (t) => {
        assert.equal(await (await lane(t)(new Request(server.url))).text(), "ok GET");
        assert.equal(await (await run(t.handle(new Request(server.url)))).text(), "ok GET");
      });
    }
  }));

test("http lane: returns the same response as handle (status, headers, streamed body, redirects)", () =>
  withServer(
    (req) =>
      new URL(req.url).pathname === "/from"
        ? new Response(null, { status: 302, headers: { location: "/to" } })
        : new Response(`hello ${req.method} ${new URL(req.url).pathname}`, { headers: { "x-a": "1" } }),
    (server) =>
      using(HttpTransport.make(), async (t) => {
        const viaLane = await lane(t)(new Request(`${server.url}/there`));
        const viaHandle = await run(t.handle(new Request(`${server.url}/there`)));
        for (const response of [viaLane, viaHandle]) {
          assert.equal(response.status, 200);
          assert.equal(response.headers.get("x-a"), "1");
        }
        assert.equal(await viaLane.text(), await viaHandle.text());
        const posted = await lane(t)(new Request(`${server.url}/p`, { method: "POST", body: "x" }));
        assert.equal(await posted.text(), "hello POST /p");
        const redirect = await lane(t)(new Request(`${server.url}/from`));
        assert.equal(redirect.status, 302);
        assert.equal(redirect.headers.get("location"), "/to");
        await redirect.body?.cancel();
      }),
  ));

test("http lane: a refused port rejects with the same ConnectError as handle", async () => {
  const dead = await refusedPort();
  await using(HttpTransport.make(), async (t) => {
    const fromLane = await rejection(lane(t)(new Request(`${dead.url}/x`)));
    const fromHandle = await run(Effect.flip(t.handle(new Request(`${dead.url}/x`))));
    assert.ok(fromLane instanceof ConnectError, String(fromLane));
    assert.equal(fromLane.detail, fromHandle.detail);
    assert.equal(fromLane.url, fromHandle.url);
  });
});

test("http lane: a connection closed mid-body is a ReadError from text(), as on handle", async () => {
  const server = await startFaultServer("closeMidBody");
  try {
    await using(HttpTransport.make(), async (t) => {
      const response = await lane(t)(new Request(server.url));
      assert.equal(response.status, 200);
      const error = await rejection(response.text());
      assert.ok(error instanceof ReadError, String(error));
      const viaHandle = await run(t.handle(new Request(server.url)));
      assert.ok((await rejection(viaHandle.text())) instanceof ReadError);
    });
  } finally {
    await server.close();
  }
});

test("http lane: refusals made before sending (closed transport, non-http URL) are the same typed errors", async () => {
  const t = HttpTransport.make();
  const unsupported = await rejection(lane(t)(new Request("file:///etc/hostname")));
  assert.ok(unsupported instanceof UnsupportedProtocol, String(unsupported));
  await run(t.close());
  const closed = await rejection(lane(t)(new Request("http://127.0.0.1:9/")));
  assert.ok(closed instanceof ConnectError, String(closed));
  assert.match(closed.detail, /closed/);
});

test("http lane: a proxy's 407 rejects with ProxyError", async () => {
  const proxy = await startProxy({ auth: { username: "u", password: "p" } });
  try {
    await withServer(
      () => new Response("never"),
      (server) =>
        using(HttpTransport.make({ proxy: proxy.url }), async (t) => {
          const error = await rejection(lane(t)(new Request(server.url)));
          assert.ok(error instanceof ProxyError, String(error));
          assert.equal(proxy.requests.length, 1);
        }),
    );
  } finally {
    await proxy.close();
  }
});

test("http lane: an aborted signal rejects with the signal's reason (before, while waiting, mid-body)", () =>
  withStallingServer((url, reached) =>
    using(HttpTransport.make(), async (t) => {
      const early = new Error("aborted before sending");
      assert.equal(await rejection(lane(t)(new Request(url, { signal: AbortSignal.abort(early) }))), early);
      const waiting = new AbortController();
      const pending = rejection(lane(t)(new Request(`${url}/slow`, { signal: waiting.signal })));
      await reached;
      const reason = new Error("caller gave up");
      waiting.abort(reason);
      assert.equal(await pending, reason);
      const streaming = new AbortController();
      const response = await lane(t)(new Request(`${url}/stream`, { signal: streaming.signal }));
      const reader = response.body!.getReader();
      await reader.read();
      streaming.abort(reason);
      const error = await rejection(reader.read());
      assert.ok(error === reason || (error as Error).name === "AbortError", String(error));
    })
  ));

// node:http is the engine for `uds` on Deno and `localAddress` on Bun: it gets the request's signal.
const nodeEngineOptions = (socketPath: string) =>
  runtimeName === "deno" ? { uds: socketPath } : { localAddress: "127.0.0.1", trustEnv: false };

test("http lane: through the node:http engine, same response, and the signal's reason on abort", async () => {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-lane-"));
  let arrived!: () => void;
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  let unblock!: () => void;
  const blocked = new Promise<void>((resolve) => (unblock = resolve));
  const handler = async (req: Request) => {
    if (new URL(req.url).pathname !== "/slow") return new Response(`node ${new URL(req.url).pathname}`);
    arrived();
    await blocked;
    return new Response("late");
  };
  const server = runtimeName === "deno" ? serve(handler, { unix: join(dir, "lane.sock") }) : serve(handler);
  try {
    await using(HttpTransport.make(nodeEngineOptions(join(dir, "lane.sock"))), async (t) => {
      assert.equal(await (await lane(t)(new Request(`${server.url}/ok`))).text(), "node /ok");
      const controller = new AbortController();
      const pending = rejection(lane(t)(new Request(`${server.url}/slow`, { signal: controller.signal })));
      await reached;
      const reason = new Error("caller gave up");
      controller.abort(reason);
      assert.equal(await pending, reason);
    });
  } finally {
    unblock();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// The node:http engine builds its responses with `new Response`: it sets their URL itself (the
// client reads `response.url` of no network response), without the fragment as WHATWG fetch
// serialises it, and a clone keeps it.
test("http lane: through the node:http engine, response.url is the request's, without the fragment, on clones too", async () => {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-url-"));
  const handler = (req: Request) => new Response(new URL(req.url).pathname);
  const server = runtimeName === "deno" ? serve(handler, { unix: join(dir, "url.sock") }) : serve(handler);
  try {
    await using(HttpTransport.make(nodeEngineOptions(join(dir, "url.sock"))), async (t) => {
      for (const send of [lane(t), (request: Request) => run(t.handle(request))]) {
        const response = await send(new Request(`${server.url}/page?q=1#section`));
        const copy = response.clone();
        assert.equal(response.url, `${server.url}/page?q=1`);
        assert.equal(copy.url, `${server.url}/page?q=1`);
        assert.equal(await response.text(), "/page");
        assert.equal(await copy.text(), "/page");
      }
    });
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
