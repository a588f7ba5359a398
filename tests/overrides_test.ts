/**
 * Per-fiber overrides (`Client.withMounts`, `Client.withTransport`) and
 * derived clients (`client.withMounts`, `client.withTransport`).
 */
import assert from "node:assert/strict";
import { Effect, Fiber } from "effect";
import { Client, HandlerTransport, InvalidOptions, MockTransport, Plugin } from "../mod.ts";
import { test } from "./harness.ts";
import { bothLanes } from "./lanes.ts";

const named = (name: string) =>
  HandlerTransport.make((request) => new Response(`${name} ${new URL(request.url).pathname}`));
const text = (response: Response) => Effect.promise(() => response.text());

test("overrides: Client.withMounts routes the wrapped effect's requests, and only those", async () => {
  await using client = Client.make({ transport: named("real") });
  const mock = MockTransport.make(() => new Response("mocked"));
  const get = (url: string) => Effect.flatMap(client.get(url), text);
  const results = await Effect.runPromise(Effect.gen(function* () {
    const inside = yield* Client.withMounts({ "all://api.internal": mock })(
      Effect.all([get("http://api.internal/a"), get("http://other.test/b")]),
    );
    const after = yield* get("http://api.internal/a");
    return { inside, after };
  }));
  assert.deepEqual(results.inside, ["mocked", "real /b"]);
  assert.equal(results.after, "real /a", "the override ends with its effect");
  assert.equal(mock.calls.length, 1);
});

test("overrides: the inner override wins, a forked fiber inherits it, concurrent fibers keep their own", async () => {
  await using client = Client.make({ transport: named("real") });
  const get = (url: string) => Effect.flatMap(client.get(url), text);
  const program = Effect.gen(function* () {
    const nested = yield* Client.withTransport(named("outer"))(
      Effect.all([
        get("http://x.test/1"),
        Client.withMounts({ "all://x.test": named("inner") })(get("http://x.test/2")),
        Client.withMounts({ "all://y.test": named("inner") })(get("http://x.test/3")),
      ]),
    );
    const forked = yield* Client.withTransport(named("parent"))(
      Effect.flatMap(Effect.forkChild(get("http://x.test/4")), Fiber.join),
    );
    const concurrent = yield* Effect.all([
      Client.withTransport(named("left"))(Effect.andThen(Effect.sleep(5), get("http://x.test/5"))),
      Client.withTransport(named("right"))(get("http://x.test/6")),
    ], { concurrency: "unbounded" });
    return { nested, forked, concurrent };
  });
  assert.deepEqual(await Effect.runPromise(program), {
    nested: ["outer /1", "inner /2", "outer /3"],
    forked: "parent /4",
    concurrent: ["left /5", "right /6"],
  });
});

test("overrides: the plugins still run, and each redirect hop is overridden too", async () => {
  const seen: Array<string> = [];
  const trail = Plugin.steps({ name: "trail", onRequest: (r) => void seen.push(new URL(r.url).pathname) });
  await using client = Client.make({ transport: named("real"), plugins: [trail] });
  const hops = HandlerTransport.make((request) =>
    new URL(request.url).pathname === "/from"
      ? new Response(null, { status: 302, headers: { location: "/to" } })
      : new Response("override /to")
  );
  const body = await Effect.runPromise(
    Client.withTransport(hops)(Effect.flatMap(client.get("http://x.test/from"), text)),
  );
  assert.equal(body, "override /to");
  assert.deepEqual(seen, ["/from", "/to"]);
});

test("overrides: a bad key or value is InvalidOptions when the override is made", () => {
  assert.throws(() => Client.withMounts({ "http": null }), InvalidOptions);
  assert.throws(() => Client.withMounts({ "all://x.test": 5 as never }), InvalidOptions);
  assert.throws(() => Client.withTransport(null as never), InvalidOptions);
  const client = Client.make({ transport: named("real") });
  assert.throws(() => client.withMounts({ "all://x?y": null }), InvalidOptions);
});

bothLanes(
  "overrides: client.withMounts is a client with those mounts first and this client's plugins",
  async ({ call }) => {
    const seen: Array<string> = [];
    const trail = Plugin.steps({ name: "trail", onRequest: (r) => void seen.push(new URL(r.url).host) });
    await using client = Client.make({ transport: named("real"), plugins: [trail] });
    const mock = MockTransport.make(() => new Response("mocked"));
    const derived = client.withMounts({ "all://api.internal": mock, "all://keep.test": null });
    assert.equal(await (await call(derived, "http://api.internal/a")).text(), "mocked");
    assert.equal(await (await call(derived, "http://keep.test/b")).text(), "real /b");
    assert.equal(await (await call(client, "http://api.internal/c")).text(), "real /c", "the parent is unchanged");
    assert.deepEqual(seen, ["api.internal", "keep.test", "api.internal"]);
    assert.equal(derived.explain("http://api.internal/").transport.kind, "mock");
    // The derived client owns nothing: closing it leaves the parent's transports open.
    await Effect.runPromise(derived.close());
    assert.equal(await (await call(client, "http://x.test/d")).text(), "real /d");
    const everything = client.withTransport(mock);
    assert.equal(await (await call(everything, "http://x.test/e")).text(), "mocked");
  },
);
