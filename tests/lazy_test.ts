/**
 * Plugins whose implementation loads on the first request (plugins/lazy.ts):
 * the load happens once per plugin whatever the clients and concurrent first
 * requests, state accessors are empty before it, a transport never used still
 * closes what it wraps, a failed load reaches the caller, and the shipped
 * plugins check their options at the call, before anything loads.
 */
import assert from "node:assert/strict";
import { Effect } from "effect";
import { InvalidOptions } from "../core/errors.ts";
import { Plugin } from "../core/plugin.ts";
import { Transport } from "../core/transport.ts";
import { Client } from "../client/client.ts";
import { HandlerTransport } from "../transports/handler.ts";
import { lazyPlugin } from "../plugins/lazy.ts";
import { balance } from "../plugins/balance.ts";
import { cache } from "../plugins/cache.ts";
import { circuitBreaker } from "../plugins/circuit_breaker.ts";
import { guard } from "../plugins/guard.ts";
import { retry } from "../plugins/retry.ts";
import { tracing } from "../plugins/tracing.ts";
import { bothLanes } from "./lanes.ts";
import { test } from "./harness.ts";

const echoTag = () => HandlerTransport.make((request) => new Response(request.headers.get("x-tag") ?? "none"));

bothLanes("lazy: one load for every client and every concurrent first request", async ({ call }) => {
  let loads = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const tag = lazyPlugin("tag", async () => {
    loads++;
    await gate;
    return Plugin.steps({ name: "tag", onRequest: (request) => void request.headers.set("x-tag", "on") });
  });
  await using a = Client.make({ transport: echoTag(), plugins: [tag] });
  await using b = Client.make({ transport: echoTag(), plugins: [tag] });
  assert.equal(tag.loaded, undefined, "nothing loads before a request");
  const pending = [call(a, "http://app.test/1"), call(b, "http://app.test/2"), call(a, "http://app.test/3")];
  await new Promise((resolve) => setTimeout(resolve, 5));
  release();
  const bodies = await Promise.all(pending.map(async (p) => (await p).text()));
  assert.deepEqual(bodies, ["on", "on", "on"]);
  assert.equal(loads, 1);
  assert.notEqual(tag.loaded, undefined);
  assert.equal(await (await call(b, "http://app.test/4")).text(), "on");
  // A client composed after the load gets the plugin's own transport.
  await using c = Client.make({ transport: echoTag(), plugins: [tag] });
  assert.equal(await (await call(c, "http://app.test/5")).text(), "on");
  assert.equal(loads, 1);
});

bothLanes("lazy: a failed load fails its requests, and the next request loads again", async ({ call }) => {
  let loads = 0;
  const flaky = lazyPlugin(
    "flaky",
    () =>
      ++loads === 1 ? Promise.reject(new Error("module missing")) : Promise.resolve(
        Plugin.steps({ name: "flaky", onRequest: (request) => void request.headers.set("x-tag", "2") }),
      ),
  );
  await using client = Client.make({ transport: echoTag(), plugins: [flaky] });
  await assert.rejects(() => call(client, "http://app.test/"), /module missing/);
  assert.equal(await (await call(client, "http://app.test/")).text(), "2");
  assert.equal(loads, 2);
});

test("lazy: a transport that never sent closes the transport it wraps, once", async () => {
  let closed = 0;
  const base = Transport.make({
    handle: () => Effect.succeed(new Response("ok")),
    close: () => Effect.sync(() => void closed++),
  });
  const wrapped = lazyPlugin("unused", () => Promise.resolve((next: Transport) => next))(base);
  assert.equal(wrapped.kind, "unused");
  await Effect.runPromise(Effect.andThen(wrapped.close(), wrapped.close()));
  assert.equal(closed, 1);
});

test("lazy: the shipped plugins refuse a bad option at the call, before anything loads", () => {
  const refusals: Array<[string, () => unknown]> = [
    ["cache", () => cache({ maxEntries: 0 })],
    ["retry", () => retry({ limit: -1 })],
    ["tracing", () => tracing({ propagate: "x" as never })],
    ["guard", () => guard({ allow: ["not a key"] })],
    ["circuitBreaker", () => circuitBreaker({ trip: { consecutive: 0 } })],
    ["balance", () => balance([], {})],
  ];
  for (const [name, make] of refusals) assert.throws(make, InvalidOptions, name);
});

bothLanes("lazy: cache state reads empty before its first request, and counts after", async ({ call }) => {
  const cached = cache();
  assert.equal(cached.entries, 0);
  assert.equal(cached.bytes, 0);
  cached.clear(); // nothing loaded: nothing to clear, no throw
  await cached.settled();
  const app = HandlerTransport.make(() => new Response("stored", { headers: { "cache-control": "max-age=60" } }));
  await using client = Client.make({ transport: app, plugins: [cached] });
  assert.equal(await (await call(client, "http://app.test/")).text(), "stored");
  assert.equal(cached.entries, 1);
  assert.ok(cached.bytes > 0);
});

bothLanes(
  "lazy: a circuit reads closed and empty before its first request, as a fresh circuit does after",
  async ({ call }) => {
    const breaker = circuitBreaker({ trip: { consecutive: 1 } });
    const before = breaker.state("http://never.test");
    assert.deepEqual(breaker.states(), []);
    await using client = Client.make({ transport: echoTag(), plugins: [breaker] });
    await (await call(client, "http://app.test/")).text();
    assert.deepEqual(breaker.state("http://never.test"), before);
    assert.equal(breaker.states().length, 1);
  },
);

bothLanes(
  "lazy: balance's upstreams read fresh before its first request, and close before any request",
  async ({ call }) => {
    let closed = 0;
    const counted = (body: string) =>
      Transport.make({
        handle: () => Effect.succeed(new Response(body)),
        close: () => Effect.sync(() => void closed++),
      });
    const unused = balance([counted("a"), { transport: counted("b"), weight: 2, name: "b" }]);
    const fresh = unused.upstreams();
    assert.deepEqual(fresh.map((u) => [u.name, u.weight, u.ejected, u.inFlight]), [["upstream 0", 1, false, 0], [
      "b",
      2,
      false,
      0,
    ]]);
    await Effect.runPromise(Effect.andThen(unused.close(), unused.close()));
    assert.equal(closed, 2, "each upstream closed once, nothing loaded");

    const used = balance([counted("a"), { transport: counted("b"), weight: 2, name: "b" }]);
    const before = used.upstreams();
    await using client = Client.make({ transport: used });
    assert.ok(["a", "b"].includes(await (await call(client, "http://app.test/")).text()));
    assert.deepEqual(used.upstreams(), before, "the loaded pool reads as the fresh one once its call ended");
  },
);
