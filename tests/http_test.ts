/**
 * HttpTransport basics against real servers: responses stream, 3xx come back
 * as they are, bodies go out as streams, options are checked at construction.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect, Exit, Fiber, Layer, Schedule } from "effect";
import { ConnectError, InvalidOptions, ProxyError, ReadError, UnsupportedProtocol } from "../core/errors.ts";
import { Transport } from "../core/transport.ts";
import { HttpTransport } from "../transports/http.ts";
import { refusedPort, startFaultServer } from "./fixtures/faults.ts";
import { startProxy } from "./fixtures/proxy.ts";
import { serve, withServer } from "./fixtures/server.ts";
import { runtimeName, test, testOn } from "./harness.ts";

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect);

const using = async <A>(transport: Transport, fn: (t: Transport) => Promise<A>): Promise<A> => {
  try {
    return await fn(transport);
  } finally {
    await run(transport.close());
  }
};

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
  }));

test("http: handle on a closed transport fails with ConnectError, close is idempotent", async () => {
  const t = HttpTransport.make();
  await run(t.close());
  await run(t.close());
  const error = await run(Effect.flip(t.handle(new Request("http://127.0.0.1:9/"))));
  assert.ok(error instanceof ConnectError);
  assert.match(error.detail, /closed/);
});

test("http: layer provides the Transport and closes it with the scope", () =>
  withServer(() => new Response("via layer"), async (server) => {
    const program = Effect.gen(function* () {
      const t = yield* Transport;
      const response = yield* t.handle(new Request(server.url));
      return yield* Effect.promise(() => response.text());
    });
    assert.equal(await run(program.pipe(Effect.provide(HttpTransport.layer()))), "via layer");
  }));

test("http: layer fails with InvalidOptions in the error channel", async () => {
  const layer = HttpTransport.layer({ timeout: -1 });
  const exit = await Effect.runPromiseExit(Effect.void.pipe(Effect.provide(layer)));
  assert.ok(Exit.isFailure(exit));
  const error = await run(Effect.flip(Layer.build(layer).pipe(Effect.scoped)));
  assert.ok(error instanceof InvalidOptions);
  assert.equal(error.option, "timeout");
});

const invalid = (options: unknown): InvalidOptions => {
  try {
    HttpTransport.make(options as never);
  } catch (error) {
    assert.ok(error instanceof InvalidOptions, `expected InvalidOptions, got ${error}`);
    return error;
  }
  assert.fail("expected make() to throw");
};

test("http: bad options throw InvalidOptions naming the option", () => {
  assert.equal(invalid({ retries: -1 }).option, "retries");
  assert.equal(invalid({ retries: 1.5 }).option, "retries");
  assert.equal(invalid({ timeout: { read: 0 } }).option, "timeout.read");
  assert.equal(invalid({ localAddress: "127.0.0.2:80" }).option, "localAddress");
  assert.equal(invalid({ nope: 1 }).option, "nope");
  assert.equal(invalid({ retry: { not: "a schedule" } }).option, "retry");
  assert.equal(invalid({ retries: 1, retry: Schedule.recurs(1) }).option, "retry");
  assert.equal(invalid({ http1: false, http2: false }).option, "http1");
  assert.equal(invalid({ tls: { cert: "-----BEGIN CERTIFICATE-----" } }).option, "tls.key");
  assert.equal(invalid({ uds: "/tmp/x.sock", proxy: "http://p:1" }).option, "proxy");
  assert.equal(invalid({ limits: { maxConnections: 0 } }).option, "limits.maxConnections");
  assert.equal(invalid({ proxy: "ftp://u:secret@p:21" }).option, "proxy");
});

test("http: an invalid option never echoes credentials", () => {
  const error = invalid({ proxy: "ftp://user:s3cret@proxy.test:21" });
  assert.doesNotMatch(error.message, /s3cret/);
  const other = invalid({ proxy: { url: "gopher://user:s3cret@proxy.test", headers: {} } });
  assert.doesNotMatch(other.message, /s3cret/);
  const bad = invalid({ proxy: "not a url s3cret" });
  assert.doesNotMatch(bad.message, /s3cret/);
});

testOn(
  "bun",
  "runtime-lacks-feature",
  "http: localAddress with a proxy or HTTP/2-only is refused on Bun (node:http)",
  () => {
    const proxied = invalid({ localAddress: "127.0.0.2", proxy: "http://127.0.0.1:3128" });
    assert.equal(proxied.runtime, "bun");
    assert.equal(proxied.option, "proxy");
    assert.equal(invalid({ localAddress: "127.0.0.2", http2: true, http1: false }).option, "http1");
  },
);

testOn("deno", "runtime-lacks-feature", "http: dangerouslyIgnoreCertificateErrors is refused on Deno", () => {
  const error = invalid({ tls: { dangerouslyIgnoreCertificateErrors: true } });
  assert.equal(error.runtime, "deno");
  assert.match(error.message, /--unsafely-ignore-certificate-errors/);
});

test("http: an interrupted request propagates as interruption, not an error", async () => {
  let arrived!: () => void;
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  let unblock!: () => void;
  const blocked = new Promise<void>((resolve) => (unblock = resolve));
  const server = serve(async () => {
    arrived();
    await blocked;
    return new Response("late");
  });
  const t = HttpTransport.make();
  try {
    const fiber = Effect.runFork(t.handle(new Request(server.url)));
    await reached;
    const exit = await Effect.runPromise(fiberInterrupt(fiber));
    assert.ok(Exit.isFailure(exit));
    assert.ok(Exit.hasInterrupts(exit), `expected interruption, got ${String(exit)}`);
  } finally {
    unblock();
    await run(t.close());
    await server.close();
  }
});

const fiberInterrupt = <A, E>(fiber: Fiber.Fiber<A, E>) =>
  Effect.gen(function* () {
    yield* Fiber.interrupt(fiber);
    return yield* Fiber.await(fiber);
  });

test(`http: runs on ${runtimeName}`, () => assert.ok(runtimeName === "deno" || runtimeName === "bun"));

test("http: the caller's abort (request.signal) is interruption, before and during the body", async () => {
  let arrived!: () => void;
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  let unblock!: () => void;
  const blocked = new Promise<void>((resolve) => (unblock = resolve));
  await withServer(async (req) => {
    if (new URL(req.url).pathname === "/slow") {
      arrived();
      await blocked;
      return new Response("late");
    }
    return new Response(
      new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode("part"));
        },
      }),
    );
  }, (server) =>
    using(HttpTransport.make(), async (t) => {
      const controller = new AbortController();
      const pending = Effect.runPromiseExit(t.handle(new Request(`${server.url}/slow`, { signal: controller.signal })));
      await reached;
      controller.abort();
      const exit = await pending;
      assert.ok(Exit.hasInterrupts(exit), `expected interruption, got ${String(exit)}`);
      unblock();
      const streaming = new AbortController();
      const response = await run(t.handle(new Request(`${server.url}/stream`, { signal: streaming.signal })));
      const reader = response.body!.getReader();
      await reader.read();
      const reason = new Error("caller gave up");
      streaming.abort(reason);
      await assert.rejects(reader.read(), (e: unknown) => e === reason || (e as Error).name === "AbortError");
    }));
});

/** A raw keep-alive server counting TCP connections. */
const withCountingServer = async <A>(fn: (url: string, connections: () => number) => Promise<A>): Promise<A> => {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.on("data", () => void socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  try {
    return await fn(`http://127.0.0.1:${(server.address() as { port: number }).port}/`, () => connections);
  } finally {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  }
};

test("http: connections are kept alive, unless limits.maxKeepAliveConnections is 0", async () => {
  for (const [limits, expected] of [[{}, 1], [{ maxKeepAliveConnections: 0 }, 2]] as const) {
    await withCountingServer((url, connections) =>
      using(HttpTransport.make({ limits }), async (t) => {
        assert.equal(await (await run(t.handle(new Request(url)))).text(), "ok");
        assert.equal(await (await run(t.handle(new Request(url)))).text(), "ok");
        assert.equal(connections(), expected, JSON.stringify(limits));
      })
    );
  }
});

// The Promise lane (`transport.fetch`): the same work as `handle`, without Effect.

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

test("http lane: present on the fast path only (retries, timeouts or a pool limit leave it undefined)", async () => {
  for (const options of [{}, { trustEnv: false }, { http2: true, http1: false }] as const) {
    await using(HttpTransport.make(options), (t) => Promise.resolve(assert.equal(typeof t.fetch, "function")));
  }
  for (
    const options of [{ retries: 1 }, { timeout: 1_000 }, { timeout: { total: 1_000 } }, {
      limits: { maxConnections: 4 },
    }]
  ) {
    await using(HttpTransport.make(options), (t) => Promise.resolve(assert.equal(t.fetch, undefined)));
  }
});

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

/** A server whose `/slow` answers only when released; `/stream` sends one chunk and never ends. */
const withStallingServer = async (fn: (url: string, reached: Promise<void>) => Promise<void>): Promise<void> => {
  let arrived!: () => void;
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  let unblock!: () => void;
  const blocked = new Promise<void>((resolve) => (unblock = resolve));
  const server = serve(async (req) => {
    if (new URL(req.url).pathname === "/slow") {
      arrived();
      await blocked;
      return new Response("late");
    }
    return new Response(new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(new TextEncoder().encode("part")) }));
  });
  try {
    await fn(server.url, reached);
  } finally {
    unblock();
    await server.close();
  }
};

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
