/**
 * HttpTransport lifecycle against real servers: close and the layer's scope,
 * interruption and the caller's abort, keep-alive connections.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { Effect, Exit, Fiber } from "effect";
import { ConnectError } from "../core/errors.ts";
import { Transport } from "../core/transport.ts";
import { HttpTransport } from "../transports/http/mod.ts";
import { serve, withServer } from "./fixtures/server.ts";
import { test } from "./harness.ts";
import { run, using } from "./http_helpers.ts";

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
