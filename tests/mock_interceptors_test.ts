/**
 * MockTransport's interceptors: matching, answers, uses, delays on the Clock,
 * what an unmatched request and an unused interceptor say, and passthrough to
 * a real server by allow-list. Every transport case runs on both lanes.
 */
import assert from "node:assert/strict";
import { Effect, Fiber } from "effect";
import { TestClock } from "effect/testing";
import {
  AppError,
  Client,
  ConnectError,
  HttpTransport,
  InvalidOptions,
  MockTransport,
  ReadTimeout,
  UnmatchedRequest,
  UnusedInterceptors,
} from "../mod.ts";
import { withServer } from "./fixtures/server.ts";
import { test } from "./harness.ts";
import { bothLanes } from "./lanes.ts";

const json = (body: unknown): RequestInit => ({
  method: "POST",
  body: JSON.stringify(body),
  headers: { "content-type": "application/json" },
});

bothLanes("interceptors: method, url, path, query, headers and body each decide the match", async ({ send }) => {
  const mock = MockTransport.make();
  mock.on({ method: "GET", url: "http://api.test/users" }).reply(200, "by url").persist();
  mock.on({ method: "get", path: "/users", query: { page: "2" } }).reply(200, "by query").persist();
  mock.on({ path: /^\/users\/\d+$/ }).reply(200, "by regexp").persist();
  mock.on({ path: new URLPattern({ pathname: "/teams/:id" }) }).reply(200, "by URLPattern").persist();
  mock.on({ method: "POST", path: "/users", headers: { "x-tenant": "a", "x-debug": null } }).reply(200, "by header")
    .persist();
  mock.on({ method: "POST", path: "/users", body: { name: "Ada", tags: ["x"] } }).reply(201, "by JSON body").persist();
  mock.on({ method: "POST", path: "/notes", body: /^hello/ }).reply(200, "by body regexp").persist();
  mock.on({ method: "POST", path: "/notes", body: (text) => text.length > 10 }).reply(200, "by predicate").persist();
  mock.on({ method: "POST", path: "/exact?b=2&a=1" }).reply(200, "by exact query").persist();
  const text = async (request: Request) => await (await send(mock, request)).text();
  assert.equal(await text(new Request("http://api.test/users")), "by url");
  assert.equal(await text(new Request("http://api.test/users?page=2")), "by url", "a url without a query ignores it");
  assert.equal(await text(new Request("http://other.test/users?page=2")), "by query");
  assert.equal(await text(new Request("http://api.test/users/42")), "by regexp");
  assert.equal(await text(new Request("http://api.test/teams/7")), "by URLPattern");
  assert.equal(
    await text(new Request("http://api.test/users", { method: "POST", headers: { "x-tenant": "a" } })),
    "by header",
  );
  // Key order and spacing do not matter to a JSON body.
  assert.equal(
    await text(new Request("http://api.test/users", { method: "POST", body: '{ "tags": ["x"], "name": "Ada" }' })),
    "by JSON body",
  );
  assert.equal(
    await text(new Request("http://api.test/notes", { method: "POST", body: "hello there" })),
    "by body regexp",
  );
  assert.equal(
    await text(new Request("http://api.test/notes", { method: "POST", body: "a long note!" })),
    "by predicate",
  );
  assert.equal(await text(new Request("http://api.test/exact?a=1&b=2", { method: "POST" })), "by exact query");
  const extra = await send(mock, new Request("http://api.test/exact?a=1&b=2&c=3", { method: "POST" })).catch((e) => e);
  assert.ok(extra instanceof UnmatchedRequest, "a query in the path must match exactly");
});

bothLanes(
  "interceptors: reply with parts, a function, an Effect; fail with an error or a builder",
  async ({ send }) => {
    const mock = MockTransport.make();
    mock.on({ path: "/json" }).reply(200, { id: 1 });
    mock.on({ path: "/typed" }).reply(200, { id: 2 }, { "content-type": "application/vnd.api+json", "x-a": "1" });
    mock.on({ path: "/bytes" }).reply(200, new Uint8Array([1, 2, 3]));
    mock.on({ path: "/empty" }).reply(204);
    mock.on({ method: "POST", path: "/echo" }).reply(async (request) => new Response(`echo ${await request.text()}`));
    mock.on({ path: "/effect" }).reply(() => Effect.succeed(new Response("from an Effect")));
    mock.on({ path: "/refused" }).fail((request) => new ConnectError(request, { detail: "simulated" }));
    const timeout = new ReadTimeout({ method: "GET", url: "http://api.test/slow" });
    mock.on({ path: "/slow" }).fail(timeout);
    const jsonResponse = await send(mock, new Request("http://api.test/json"));
    assert.equal(jsonResponse.headers.get("content-type"), "application/json");
    assert.deepEqual(await jsonResponse.json(), { id: 1 });
    const typed = await send(mock, new Request("http://api.test/typed"));
    assert.equal(typed.headers.get("content-type"), "application/vnd.api+json");
    assert.equal(typed.headers.get("x-a"), "1");
    assert.deepEqual(await typed.json(), { id: 2 });
    assert.deepEqual(
      [...new Uint8Array(await (await send(mock, new Request("http://api.test/bytes"))).arrayBuffer())],
      [
        1,
        2,
        3,
      ],
    );
    const empty = await send(mock, new Request("http://api.test/empty"));
    assert.equal(empty.status, 204);
    assert.equal(empty.body, null);
    // The interceptor's function gets the request unread, even when matching read a copy of its body.
    assert.equal(
      await (await send(mock, new Request("http://api.test/echo", { method: "POST", body: "payload" }))).text(),
      "echo payload",
    );
    assert.equal(await (await send(mock, new Request("http://api.test/effect"))).text(), "from an Effect");
    const refused = await send(mock, new Request("http://api.test/refused")).catch((e) => e);
    assert.ok(refused instanceof ConnectError);
    assert.match(refused.message, /Could not connect: GET http:\/\/api\.test\/refused \(simulated\)/);
    assert.equal(await send(mock, new Request("http://api.test/slow")).catch((e) => e), timeout);
    mock.assertAllUsed();
  },
);

bothLanes(
  "interceptors: once by default, then times(n), persist(); the history says who answered",
  async ({ send }) => {
    const mock = MockTransport.make({ handler: () => new Response("handler") });
    mock.on({ path: "/once" }).reply(200, "once");
    mock.on({ path: "/twice" }).reply(200, "twice").times(2);
    mock.on({ path: "/always" }).persist().reply(200, "always");
    const text = async (path: string) => await (await send(mock, new Request(`http://api.test${path}`))).text();
    assert.deepEqual(
      [await text("/once"), await text("/once"), await text("/twice"), await text("/twice"), await text("/twice")],
      ["once", "handler", "twice", "twice", "handler"],
    );
    for (let i = 0; i < 5; i++) assert.equal(await text("/always"), "always");
    assert.deepEqual(mock.pending(), [], "a persisted interceptor used once is not pending");
    assert.deepEqual(mock.calls.slice(0, 3).map((c) => c.by), [
      "interceptor * /once",
      "handler",
      "interceptor * /twice",
    ]);
    assert.deepEqual(mock.calls[0]!.outcome, { status: 200 });
  },
);

bothLanes("interceptors: an unmatched request fails, showing itself (redacted) and the closest", async ({ send }) => {
  const mock = MockTransport.make();
  mock.on({ method: "GET", path: "/users", query: { page: "2" }, headers: { authorization: "Bearer right" } }).reply(
    200,
  );
  mock.on({ method: "POST", url: "http://api.test/users", body: { name: "Ada" } }).reply(201);
  mock.on({ path: "/health" }).reply(200);
  const error = await send(
    mock,
    new Request("http://api.test/users?page=1&token=abc", {
      method: "POST",
      body: '{"name":"Bob","password":"hunter2"}',
      headers: { authorization: "Bearer wrong", "content-type": "application/json" },
    }),
  ).catch((e) => e);
  assert.ok(error instanceof UnmatchedRequest);
  assert.ok(error instanceof TypeError, "like fetch's network error, for code written against fetch");
  assert.equal(error.closest.length, 3);
  assert.deepEqual(error.closest.map((c) => c.candidate), [
    'POST http://api.test/users body {"name":"Ada"}',
    "GET /users query ?page=2 headers authorization",
    "* /health",
  ]);
  assert.deepEqual(error.closest[0]!.differences, [
    'body: expected {"name":"Ada"}, got {"name":"Bob","password":"[redacted]"}',
  ]);
  assert.deepEqual(error.closest[1]!.differences, [
    "method: expected GET, got POST",
    "query page: expected 2, got 1",
    "header authorization: expected [redacted], got [redacted]",
  ]);
  assert.match(error.message, /^No interceptor matched: POST http:\/\/api\.test\/users\?page=1&token=\[redacted\]/);
  assert.match(error.message, /1\. POST http:\/\/api\.test\/users body \{"name":"Ada"\}\n {5}- body: expected/);
  assert.match(error.message, /Add one with `mock\.on\(\{\.\.\.\}\)`/);
  for (const secret of ["abc", "hunter2", "wrong", "right"]) assert.ok(!error.message.includes(secret), secret);
  const none = await send(MockTransport.make(), new Request("http://api.test/")).catch((e) => e);
  assert.ok(none instanceof UnmatchedRequest);
  assert.match(none.message, /no interceptor is registered/);
});

test("interceptors: assertAllUsed lists each interceptor not used up, with its uses", async () => {
  const mock = MockTransport.make();
  mock.on({ method: "GET", url: "http://api.test/a" }).reply(200);
  mock.on({ path: "/b" }).reply(200).times(3);
  mock.on({ path: "/c" }).reply(200).persist();
  mock.on({ path: "/used" }).reply(200);
  await (await mock.fetch(new Request("http://api.test/b"))).text();
  await (await mock.fetch(new Request("http://api.test/used"))).text();
  assert.deepEqual(mock.pending(), [
    { description: "GET http://api.test/a", uses: 0, limit: 1 },
    { description: "* /b", uses: 1, limit: 3 },
    { description: "* /c", uses: 0, limit: Infinity },
  ]);
  assert.throws(() => mock.assertAllUsed(), (error: unknown) => {
    assert.ok(error instanceof UnusedInterceptors);
    assert.deepEqual(error.interceptors, [
      "GET http://api.test/a (used 0 of 1)",
      "* /b (used 1 of 3)",
      "* /c (used 0 of unlimited)",
    ]);
    assert.match(error.message, /^3 interceptors were not used up:\n {2}- GET http:\/\/api\.test\/a \(used 0 of 1\)/);
    return true;
  });
});

bothLanes("interceptors: delay(ms) waits before answering", async ({ send }) => {
  const mock = MockTransport.make();
  mock.on({ path: "/slow" }).reply(200, "late").delay(60);
  const started = performance.now();
  assert.equal(await (await send(mock, new Request("http://api.test/slow"))).text(), "late");
  assert.ok(performance.now() - started >= 55, `answered after ${performance.now() - started} ms`);
});

test("interceptors: on the Promise lane, an abort during a delay rejects with the signal's reason", async () => {
  const mock = MockTransport.make();
  mock.on({ path: "/slow" }).reply(200).delay(10_000);
  const controller = new AbortController();
  const reason = new Error("stop");
  setTimeout(() => controller.abort(reason), 20);
  const error = await mock.fetch(new Request("http://api.test/slow", { signal: controller.signal })).catch((e) => e);
  assert.equal(error, reason);
});

test("interceptors: delay runs on Effect's Clock, so TestClock steps it without waiting", async () => {
  const mock = MockTransport.make();
  mock.on({ path: "/slow" }).reply(200, "late").delay(30_000);
  const program = Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(mock.handle(new Request("http://api.test/slow")));
    yield* TestClock.adjust("29 seconds");
    assert.equal(fiber.pollUnsafe(), undefined, "still waiting after 29 virtual seconds");
    yield* TestClock.adjust("1 second");
    const response = yield* Fiber.join(fiber);
    return yield* Effect.promise(() => response.text());
  });
  const started = performance.now();
  assert.equal(await Effect.runPromise(program.pipe(Effect.provide(TestClock.layer()))), "late");
  assert.ok(performance.now() - started < 5_000, "no real waiting");
});

bothLanes("interceptors: passthrough sends allowed hosts to a real server; others still fail", async ({ call }) => {
  await withServer((request) => new Response(`real ${new URL(request.url).pathname}`), async (server) => {
    const passthrough = HttpTransport.make();
    let closed = 0;
    const mock = MockTransport.make({
      passthrough: {
        ...passthrough,
        close: () => Effect.andThen(passthrough.close(), Effect.sync(() => void closed++)),
      },
      allow: [`http://127.0.0.1:${server.port}`],
    });
    mock.on({ path: "/mocked" }).reply(200, "mocked");
    const client = Client.make({ transport: mock });
    assert.equal(await (await call(client, `${server.url}/mocked`)).text(), "mocked", "interceptors come first");
    assert.equal(await (await call(client, `${server.url}/live`)).text(), "real /live");
    const blocked = await call(client, "http://127.0.0.1:1/live").catch((e) => e);
    assert.ok(blocked instanceof UnmatchedRequest, "a host off the allow-list never reaches the network");
    assert.deepEqual(mock.calls.map((c) => c.by), ["interceptor * /mocked", "passthrough", "unmatched"]);
    await Effect.runPromise(client.close());
    assert.equal(closed, 1, "the mock owns its passthrough transport");
  });
});

test("interceptors: a bad spec, answer or option is an InvalidOptions naming it", () => {
  const mock = MockTransport.make();
  const refused = (fn: () => unknown, option: string) =>
    assert.throws(fn, (e: unknown) => e instanceof InvalidOptions && e.option === option, option);
  refused(() => mock.on({ url: "/users" }), "url");
  refused(() => mock.on({ path: "users" }), "path");
  refused(() => mock.on({ url: "http://a.test/", path: "/b" }), "path");
  refused(() => mock.on({ method: "GE T" }), "method");
  refused(() => mock.on({ paht: "/x" } as never), "on(spec).paht");
  refused(() => mock.on({ headers: { "x-a": 1 as never } }), "headers.x-a");
  refused(() => mock.on({ body: () => true }).reply(99), "reply(status)");
  refused(() => mock.on({}).reply(200, new ReadableStream()), "reply(body)");
  refused(() => mock.on({}).times(0), "times(n)");
  refused(() => mock.on({}).delay(-1), "delay(ms)");
  refused(() => mock.on({}).fail(new Error("x") as never), "fail(error)");
  refused(() => MockTransport.make({ passthrough: MockTransport.make() }), "allow");
  refused(() => MockTransport.make({ allow: ["all://"] }), "passthrough");
  refused(() => MockTransport.make({ passthrough: MockTransport.make(), allow: ["http"] }), "allow[0]");
  refused(() => MockTransport.make({ handlr: () => new Response() } as never), "handlr");
  refused(() => MockTransport.make(42 as never), "handler");
});

bothLanes("interceptors: an interceptor with no answer says so", async ({ send }) => {
  const mock = MockTransport.make();
  mock.on({ path: "/todo" });
  const error = await send(mock, new Request("http://api.test/todo")).catch((e) => e);
  assert.ok(error instanceof AppError);
  assert.match(error.message, /the interceptor \* \/todo has no answer: call \.reply\(\) or \.fail\(\)/);
});

bothLanes("interceptors: a JSON body matcher reports a body that is not JSON", async ({ send }) => {
  const mock = MockTransport.make();
  mock.on({ method: "POST", path: "/users", body: { name: "Ada" } }).reply(201);
  const error = await send(mock, new Request("http://api.test/users", { method: "POST", body: "name=Ada" })).catch((
    e,
  ) => e);
  assert.ok(error instanceof UnmatchedRequest);
  assert.deepEqual(error.closest[0]!.differences, ['body: expected JSON {"name":"Ada"}, got name=Ada (not JSON)']);
  const ok = await send(mock, new Request("http://api.test/users", json({ name: "Ada" })));
  assert.equal(ok.status, 201);
});
