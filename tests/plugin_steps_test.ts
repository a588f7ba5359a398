/**
 * `Plugin.steps`: one definition, both lanes. Every case runs through the
 * Effect face and the Promise face with the same assertions.
 */
import assert from "node:assert/strict";
import { Effect } from "effect";
import {
  AppError,
  Client,
  ConnectError,
  HandlerTransport,
  hooks,
  InvalidOptions,
  LocalProtocolError,
  MockTransport,
  Plugin,
  ReadError,
  Transport,
} from "../mod.ts";
import { test } from "./harness.ts";
import { bothLanes } from "./lanes.ts";

// A fresh app per client: a client closes its transport, and a closed transport refuses requests.
const echoHeaders = () =>
  HandlerTransport.make((request) =>
    Response.json({ url: request.url, method: request.method, tag: request.headers.get("x-tag") })
  );

bothLanes(
  "steps: hooks run before the request is recorded (a mock behind hooks sees the hooks' headers)",
  async ({ call }) => {
    const mock = MockTransport.make(() => new Response("ok"));
    await using client = Client.make({
      transport: mock,
      plugins: [hooks({ request: [(r) => void r.headers.set("x-hooked", "yes")] })],
    });
    await (await call(client, "http://api.test/", { method: "POST", body: "payload" })).text();
    assert.equal(mock.calls.length, 1);
    assert.equal(mock.calls[0]!.request.headers.get("x-hooked"), "yes");
    assert.equal(await mock.calls[0]!.request.text(), "payload");
  },
);

bothLanes("steps: onRequest may edit, replace or answer; onResponse may replace", async ({ call }) => {
  const plugins = [
    Plugin.steps({ name: "edit", onRequest: (r) => void r.headers.set("x-tag", "edited") }),
    Plugin.steps({
      name: "replace",
      onRequest: (r) => new URL(r.url).pathname === "/old" ? new Request(r.url.replace("/old", "/new"), r) : undefined,
    }),
    Plugin.steps({
      name: "answer",
      onRequest: (r) => new URL(r.url).pathname === "/cached" ? Response.json({ cached: true }) : undefined,
      onResponse: (_, r) => {
        if (new URL(r.url).pathname === "/cached") assert.fail("a short-circuit skips the plugin's own onResponse");
      },
    }),
  ];
  await using client = Client.make({
    transport: echoHeaders(),
    plugins: [
      Plugin.steps({
        name: "status",
        onResponse: (response) => new Response(response.body, { status: 203, headers: response.headers }),
      }),
      ...plugins,
    ],
  });
  const edited = await call(client, "http://app.test/x");
  assert.equal(edited.status, 203);
  assert.deepEqual(await edited.json(), { url: "http://app.test/x", method: "GET", tag: "edited" });
  assert.equal((await (await call(client, "http://app.test/old")).json()).url, "http://app.test/new");
  const cached = await call(client, "http://app.test/cached");
  assert.equal(cached.status, 203, "an outer plugin still sees the short-circuit answer");
  assert.deepEqual(await cached.json(), { cached: true });
});

bothLanes("steps: sync, Promise and Effect steps run in order, outer plugin first", async ({ call }) => {
  const order: string[] = [];
  const step = (name: string) =>
    Plugin.steps({
      name,
      onRequest: name === "sync"
        ? () => void order.push(`${name} req`)
        : name === "promise"
        ? () => Promise.resolve().then(() => void order.push(`${name} req`))
        : () => Effect.sync(() => void order.push(`${name} req`)),
      onResponse: name === "effect"
        ? () => Effect.sync(() => void order.push(`${name} res`))
        : () => Promise.resolve(void order.push(`${name} res`)),
    });
  await using client = Client.make({
    transport: echoHeaders(),
    plugins: [step("sync"), step("promise"), step("effect")],
  });
  await (await call(client, "http://app.test/")).text();
  assert.deepEqual(order, ["sync req", "promise req", "effect req", "effect res", "promise res", "sync res"]);
});

bothLanes(
  "steps: onError sees transport errors and may recover; a thrown TransportError fails the call",
  async ({ call }) => {
    const seen: string[] = [];
    const mock = MockTransport.make((request) => {
      if (request.url.endsWith("/down")) throw new ConnectError(request, { detail: "simulated" });
      return new Response("up");
    });
    await using client = Client.make({
      transport: mock,
      plugins: [
        Plugin.steps({
          name: "fallback",
          onError: (error, request) => {
            seen.push(`${error._tag} ${new URL(request.url).pathname}`);
            return request.headers.has("x-recover") ? new Response("recovered") : undefined;
          },
        }),
        Plugin.steps({
          name: "guard",
          onRequest: (request) => {
            if (request.url.endsWith("/refused")) throw new ReadError(request, { detail: "refused by a step" });
          },
        }),
      ],
    });
    assert.equal(
      await (await call(client, "http://api.test/down", { headers: { "x-recover": "1" } })).text(),
      "recovered",
    );
    const failed = await call(client, "http://api.test/down").catch((e) => e);
    assert.ok(failed instanceof ConnectError);
    const refused = await call(client, "http://api.test/refused").catch((e) => e);
    assert.ok(refused instanceof ReadError, "the inner plugin's failure is an error of the pipeline for the outer one");
    assert.match(refused.detail, /refused by a step/);
    assert.deepEqual(seen, ["ConnectError /down", "ConnectError /down", "ReadError /refused"]);
    assert.equal(mock.calls.length, 2, "a refused request never reaches the transport");
  },
);

bothLanes("steps: the factory form gives each request (and each redirect hop) its own state", async ({ call }) => {
  let made = 0;
  const hops: number[] = [];
  const counter = Plugin.steps("counter", () => {
    const id = ++made;
    return { onResponse: () => void hops.push(id) };
  });
  const app = HandlerTransport.make((request) =>
    new URL(request.url).pathname === "/from"
      ? new Response(null, { status: 302, headers: { location: "/to" } })
      : new Response("to")
  );
  await using client = Client.make({ transport: app, plugins: [counter] });
  assert.equal(await (await call(client, "http://app.test/from")).text(), "to");
  assert.deepEqual(hops, [1, 2]);
});

bothLanes(
  "steps: a step that throws something else is a bug: the call fails with that very value",
  async ({ call }) => {
    const bug = new RangeError("bug in a step");
    await using client = Client.make({
      transport: echoHeaders(),
      plugins: [Plugin.steps({ name: "buggy", onResponse: () => Promise.reject(bug) })],
    });
    assert.equal(await call(client, "http://app.test/").catch((e) => e), bug);
  },
);

bothLanes(
  "steps: a header value with CR or LF set by a step is a LocalProtocolError naming the plugin, never the value",
  async ({ call }) => {
    // Deno's Headers quote the value in their TypeError: a token read with its line break would reach a span or a log.
    const secret = "Bearer s3cret\r\nx-injected: 1";
    const setIt = (headers: Headers) => void headers.set("authorization", secret);
    const cases: Array<[string, Plugin]> = [
      ["a sync hook", hooks({ request: [(r) => setIt(r.headers)] })],
      [
        "an async step",
        Plugin.steps({ name: "async", onRequest: (r) => Promise.resolve().then(() => setIt(r.headers)) }),
      ],
      ["an Effect step", Plugin.steps({ name: "effect", onRequest: (r) => Effect.sync(() => setIt(r.headers)) })],
      ["a response step", Plugin.steps({ name: "late", onResponse: (response) => setIt(response.headers) })],
      ["a bad name", Plugin.steps({ name: "named", onRequest: (r) => void r.headers.set("bad name", "v") })],
    ];
    for (const [label, plugin] of cases) {
      const mock = MockTransport.make(() => new Response("ok"));
      await using client = Client.make({ transport: mock, plugins: [plugin] });
      const error = await call(client, "http://api.test/").catch((e) => e);
      assert.ok(error instanceof LocalProtocolError, `${label}: ${error}`);
      const name = (plugin as { name: string }).name;
      assert.match(error.message, new RegExp(`plugin "${name}" set a header`), label);
      assert.doesNotMatch(`${error.message} ${JSON.stringify(error)} ${String(error.cause)}`, /s3cret/, label);
      assert.equal(
        mock.calls.length,
        label === "a response step" ? 1 : 0,
        `${label}: sent only when the step ran after`,
      );
    }
  },
);

test("steps: a plugin that does not return a transport is refused at construction, naming it", () => {
  for (const bad of [() => ({}), () => null, () => 42, 7, null]) {
    assert.throws(
      () => Client.make({ transport: echoHeaders(), plugins: [bad as never] }),
      (e: unknown) => e instanceof InvalidOptions && e.option === "plugins[0]",
    );
  }
});

test("steps: client.explain lists the plugins outermost first, and the transport's kind", () => {
  const custom = (next: Transport) => Transport.wrap(next, { name: "custom", handle: next.handle });
  const client = Client.make({
    transport: echoHeaders(),
    plugins: [hooks({}), Plugin.steps({ name: "tag", onRequest: () => {} }), custom],
  });
  const why = client.explain("http://app.test/");
  assert.deepEqual(why.plugins, ["hooks", "tag", "custom"]);
  assert.equal(why.transportKind, "handler");
  assert.match(why.reason, /It passes hooks, tag, custom first\./);
});

test("steps: an app's throw through steps is still an AppError on both faces", async () => {
  await using client = Client.make({
    transport: HandlerTransport.make(() => {
      throw new Error("app broke");
    }),
    plugins: [Plugin.steps({ name: "noop", onResponse: () => {} })],
  });
  assert.ok((await client.fetch("http://app.test/").catch((e) => e)) instanceof AppError);
  assert.ok((await Effect.runPromise(Effect.flip(client.get("http://app.test/")))) instanceof AppError);
});
