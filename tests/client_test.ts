import assert from "node:assert/strict";
import { Effect, Exit, Layer } from "effect";
import {
  Client,
  HandlerTransport,
  HttpTransport,
  InvalidOptions,
  InvalidUrl,
  LocalProtocolError,
  MockTransport,
  type Plugin,
  RedirectRefused,
  TooManyRedirects,
  Transport,
} from "../mod.ts";
import { makeRequestBuilder } from "../client/request.ts";
import { takeUnabortableMark } from "../core/transport.ts";
import { withStallingServer } from "./http_helpers.ts";
import { test } from "./harness.ts";

const echo = HandlerTransport.make;
const describeRequest = async (request: Request) =>
  Response.json({
    method: request.method,
    url: request.url,
    headers: Object.fromEntries(request.headers),
    body: request.body ? await request.text() : null,
  });

test("client: baseUrl keeps its path; absolute URLs bypass it", async () => {
  await using client = Client.make({ baseUrl: "http://api.test/v1", transport: echo(describeRequest) });
  assert.equal((await (await client.fetch("/users?x=1")).json()).url, "http://api.test/v1/users?x=1");
  assert.equal((await (await client.fetch("users")).json()).url, "http://api.test/v1/users");
  assert.equal((await (await client.fetch("http://other.test/a")).json()).url, "http://other.test/a");
  assert.equal((await (await client.fetch(new URL("http://other.test/b"))).json()).url, "http://other.test/b");
});

test("client: default headers sit under the request's own", async () => {
  await using client = Client.make({
    headers: { "x-default": "d", "x-both": "default" },
    transport: echo(describeRequest),
  });
  const body = await (await client.fetch("http://api.test/", { headers: { "x-both": "mine" } })).json();
  assert.equal(body.headers["x-default"], "d");
  assert.equal(body.headers["x-both"], "mine");
});

test("client: Effect methods send their method, json bodies and init", async () => {
  await using client = Client.make({ baseUrl: "http://api.test", transport: echo(describeRequest) });
  const run = (effect: Effect.Effect<Response, unknown>) => Effect.runPromise(effect).then((r) => r.json());
  const posted = await run(client.post("/items", { json: { a: 1 } }));
  assert.equal(posted.method, "POST");
  assert.equal(posted.body, '{"a":1}');
  assert.equal(posted.headers["content-type"], "application/json");
  for (const method of ["get", "put", "patch", "delete", "options"] as const) {
    assert.equal((await run(client[method]("/m"))).method, method.toUpperCase());
  }
  const head = await Effect.runPromise(client.head("/m"));
  assert.equal(head.status, 200);
  assert.equal(head.body, null);
  const sent = await run(client.send(new Request("http://api.test/prepared", { method: "PUT", body: "x" })));
  assert.deepEqual([sent.method, sent.url, sent.body], ["PUT", "http://api.test/prepared", "x"]);
});

test("client: an Effect is lazy and can be run twice (each run builds a fresh request)", async () => {
  let calls = 0;
  await using client = Client.make({
    transport: echo(async (r) => {
      calls++;
      return new Response(await r.text());
    }),
  });
  const effect = client.post("http://api.test/", { body: "payload" });
  assert.equal(calls, 0);
  for (let i = 0; i < 2; i++) assert.equal(await (await Effect.runPromise(effect)).text(), "payload");
  assert.equal(calls, 2);
});

test("client: client.fetch is a detachable drop-in fetch", async () => {
  await using client = Client.make({ transport: echo(() => new Response("ok")) });
  const f: typeof fetch = client.fetch;
  assert.equal(await (await f("http://api.test/")).text(), "ok");
});

test("client: a bad URL is an InvalidUrl on both faces", async () => {
  await using client = Client.make({ transport: echo(() => new Response("never")) });
  const rejected = await client.fetch("/relative").catch((e) => e);
  assert.ok(rejected instanceof InvalidUrl);
  assert.match(rejected.message, /baseUrl/);
  const bad = await client.fetch("http://[::1").catch((e) => e);
  assert.ok(bad instanceof InvalidUrl, String(bad));
  const tag = await Effect.runPromise(
    client.get("/relative").pipe(Effect.as("none"), Effect.catchTag("InvalidUrl", (e) => Effect.succeed(e._tag))),
  );
  assert.equal(tag, "InvalidUrl");
});

test("client: a header value with CR/LF is refused with LocalProtocolError that does not echo the value", async () => {
  await using client = Client.make({ transport: echo(() => new Response("never")) });
  const error = await client.fetch("http://api.test/", { headers: { "x-evil": "a\r\nInjected: secret-value" } })
    .catch((e) => e);
  assert.ok(error instanceof LocalProtocolError, String(error));
  assert.match(error.message, /x-evil/);
  assert.doesNotMatch(error.message, /secret-value/);
  const exit = await Effect.runPromiseExit(client.get("http://api.test/", { headers: { "x-a": "1\n2" } }));
  assert.ok(Exit.isFailure(exit));
  assert.ok(Exit.isFailure(exit) && String(exit.cause).includes("LocalProtocolError"));
});

test("client: an invalid method is refused on both runtimes", async () => {
  await using client = Client.make({ transport: echo(() => new Response("never")) });
  await assert.rejects(client.fetch("http://api.test/", { method: "GE T" }), LocalProtocolError);
});

test("client: bad options are InvalidOptions naming the option", () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ timeout: -5 }, /`timeout`.*positive/],
    [{ timeout: "5s" }, /`timeout`/],
    [{ baseUrl: "not a url" }, /`baseUrl`.*absolute URL/],
    [{ baseUrl: "http://x/?q=1" }, /`baseUrl`.*query/],
    [{ headers: { "x-a": "1\r\n2" } }, /`headers\["x-a"\]`/],
    [{ transport: {} }, /`transport`.*Transport/],
    [{ mounts: { "all://": 42 } }, /`mounts/],
    [{ maxRedirects: 1.5 }, /`maxRedirects`/],
    [{ retries: 3 }, /`retries`.*one of/],
  ];
  for (const [options, pattern] of cases) {
    assert.throws(
      () => Client.make(options as never),
      (e) => e instanceof InvalidOptions && pattern.test(e.message),
      `${JSON.stringify(options)} should fail with ${pattern}`,
    );
  }
});

test("client: redirects are followed through the transport; Authorization is dropped cross-origin", async () => {
  const seen: Array<{ url: string; auth: string | null; method: string }> = [];
  const app = (request: Request) => {
    const url = new URL(request.url);
    seen.push({ url: request.url, auth: request.headers.get("authorization"), method: request.method });
    if (url.pathname === "/start") return Response.redirect("http://a.test/same", 302);
    if (url.pathname === "/same") return Response.redirect("http://b.test/other", 301);
    if (url.pathname === "/other") return Response.redirect("http://b.test/see", 303);
    return new Response(`end ${request.method}`);
  };
  await using client = Client.make({ transport: echo(app) });
  const response = await client.fetch("http://a.test/start", {
    method: "POST",
    body: "x",
    headers: { authorization: "Bearer secret" },
  });
  assert.equal(await response.text(), "end GET");
  assert.equal(response.url, "http://b.test/see");
  assert.equal(response.redirected, true);
  assert.deepEqual(seen.map((s) => [s.url, s.auth, s.method]), [
    ["http://a.test/start", "Bearer secret", "POST"],
    ["http://a.test/same", "Bearer secret", "GET"],
    ["http://b.test/other", null, "GET"],
    ["http://b.test/see", null, "GET"],
  ]);
});

test("client: 307 re-sends the same method and buffered body; a stream body is never replayed (fetch's TypeError)", async () => {
  const app = async (request: Request) => {
    const url = new URL(request.url);
    if (url.pathname === "/old") return new Response(null, { status: 307, headers: { location: "/new" } });
    return new Response(`${request.method} ${url.pathname} ${await request.text()}`);
  };
  await using client = Client.make({ transport: echo(app) });
  assert.equal(
    await (await client.fetch("http://a.test/old", { method: "PUT", body: "data" })).text(),
    "PUT /new data",
  );
  const stream = new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode("once"));
      c.close();
    },
  });
  const refused = await client.fetch(
    "http://a.test/old",
    { method: "PUT", body: stream, duplex: "half" } as RequestInit,
  ).catch((e) => e);
  assert.ok(refused instanceof RedirectRefused && refused instanceof TypeError, "as fetch: a network error");
  assert.match(refused.message, /the body cannot be sent twice/);
});

test("client: too many redirects is TooManyRedirects; redirect: manual returns the 3xx", async () => {
  const loop = echo((r) => Response.redirect(new URL("/again", r.url).href, 302));
  await using client = Client.make({ transport: loop, maxRedirects: 3 });
  const error = await client.fetch("http://a.test/").catch((e) => e);
  assert.ok(error instanceof TooManyRedirects);
  assert.match(error.message, /more than 3 redirects/);
  const manual = await client.fetch("http://a.test/", { redirect: "manual" });
  assert.equal(manual.status, 302);
  const forbidden = await client.fetch("http://a.test/", { redirect: "error" }).catch((e) => e);
  assert.ok(forbidden instanceof RedirectRefused && forbidden instanceof TypeError);
  await using noFollow = Client.make({ transport: loop, followRedirects: false });
  assert.equal((await noFollow.fetch("http://a.test/")).status, 302);
});

test("client: plugins compose outer-first around the transport", async () => {
  const order: string[] = [];
  const tag = (name: string): Plugin => (next) =>
    Transport.wrap(next, {
      name,
      handle: (request) => {
        order.push(`${name} in`);
        return next.handle(request).pipe(Effect.tap(() => Effect.sync(() => order.push(`${name} out`))));
      },
    });
  await using client = Client.make({
    transport: echo(() => new Response("ok")),
    plugins: [tag("outer"), tag("inner")],
  });
  await (await client.fetch("http://a.test/")).text();
  assert.deepEqual(order, ["outer in", "inner in", "inner out", "outer out"]);
});

test("client: close closes every transport it owns, once", async () => {
  let closes = 0;
  const transport = Transport.make({
    handle: () => Effect.succeed(new Response("ok")),
    close: () => Effect.sync(() => void closes++),
  });
  const client = Client.make({ transport });
  await Effect.runPromise(client.close());
  await client[Symbol.asyncDispose]();
  assert.equal(closes, 1);
});

test("client: Client.layer provides the service and closes the client with its scope", async () => {
  let closed = false;
  const transport = Transport.make({
    handle: () => Effect.succeed(new Response("pong")),
    close: () => Effect.sync(() => void (closed = true)),
  });
  const program = Effect.gen(function* () {
    const client = yield* Client;
    const response = yield* client.get("http://api.test/ping");
    return yield* Effect.promise(() => response.text());
  });
  assert.equal(await Effect.runPromise(program.pipe(Effect.provide(Client.layer({ transport })))), "pong");
  assert.equal(closed, true);
  const bad = await Effect.runPromiseExit(program.pipe(Effect.provide(Client.layer({ timeout: -1 } as never))));
  assert.ok(Exit.isFailure(bad) && String(bad.cause).includes("InvalidOptions"));
});

test("client: Client.layerFromTransport uses the Transport service, which its own layer closes", async () => {
  const mock = MockTransport.make(() => new Response("from the service"));
  const layer = Client.layerFromTransport({ baseUrl: "http://api.test" }).pipe(Layer.provide(Transport.layer(mock)));
  const text = await Effect.runPromise(
    Effect.gen(function* () {
      const client = yield* Client;
      const response = yield* client.get("/x");
      return yield* Effect.promise(() => response.text());
    }).pipe(Effect.provide(layer)),
  );
  assert.equal(text, "from the service");
  assert.equal(mock.calls[0]!.request.url, "http://api.test/x");
});

test("client: a request built without a signal is sent unabortable; one with a signal still aborts (real server)", async () => {
  const build = makeRequestBuilder({});
  const plain = build("http://api.test/", undefined);
  assert.equal(takeUnabortableMark(plain), true);
  assert.equal(takeUnabortableMark(plain), false, "the mark is taken once");
  assert.equal(takeUnabortableMark(build("http://api.test/", { signal: new AbortController().signal })), false);
  assert.equal(takeUnabortableMark(build(new Request("http://api.test/"), { method: "POST", body: "x" })), false);

  await withStallingServer(async (url, reached) => {
    await using client = Client.make({ transport: HttpTransport.make() });
    // Sent with `signal: null`: it still streams, and its body can still be cancelled.
    const streaming = await client.fetch(`${url}/stream`);
    const reader = streaming.body!.getReader();
    assert.equal(new TextDecoder().decode((await reader.read()).value), "part");
    await reader.cancel();
    const controller = new AbortController();
    const pending = client.fetch(`${url}/slow`, { signal: controller.signal }).catch((e) => e);
    await reached;
    const reason = new Error("caller gave up");
    controller.abort(reason);
    assert.equal(await pending, reason);
  });
});
