/**
 * `cache()` revalidation, on both lanes and runtimes: conditional requests
 * and the `304` merge, `must-revalidate`, `stale-if-error` (a 5xx, a
 * transport failure), `stale-while-revalidate` (answered at once, revalidated
 * in the background, on Effect's Clock on the Effect lane), and what must not
 * happen: a stale response served without a `stale-*` that allows it.
 */
import assert from "node:assert/strict";
import { Effect } from "effect";
import { Client } from "../client/client.ts";
import { AppError, ConnectError } from "../core/errors.ts";
import type { CachePlugin } from "../plugins/cache.ts";
import { CacheEngine } from "../plugins/cache_engine.ts";
import { HandlerTransport } from "../transports/handler.ts";
import { HttpTransport } from "../transports/http/mod.ts";
import { serve } from "./fixtures/server.ts";
import { summary, timedLanes } from "./cache_helpers.ts";
import { test } from "./harness.ts";

/** What the origin saw: the validators of each request. */
interface Seen {
  readonly ifNoneMatch: string | null;
  readonly ifModifiedSince: string | null;
}

/** A loopback origin answering with `answer(seen, n)`; `seen` lists every request's validators. */
const origin = (answer: (seen: Seen, n: number) => Response) => {
  const seen: Seen[] = [];
  const server = serve((request) => {
    const s = {
      ifNoneMatch: request.headers.get("if-none-match"),
      ifModifiedSince: request.headers.get("if-modified-since"),
    };
    seen.push(s);
    return answer(s, seen.length);
  });
  return { url: server.url, seen, close: () => server.close() };
};

const over = (c: CachePlugin, transport = HttpTransport.make({ trustEnv: false })) =>
  Client.make({ transport, plugins: [c] });

timedLanes("cache: a stale response is revalidated with If-None-Match; a 304 merges its headers", async (t) => {
  const o = origin((seen, n) =>
    seen.ifNoneMatch === '"v1"'
      ? new Response(null, { status: 304, headers: { etag: '"v1"', "cache-control": "max-age=60", "x-version": "2" } })
      : new Response(`body${n}`, { headers: { etag: '"v1"', "cache-control": "max-age=10", "x-version": "1" } })
  );
  const c = t.cache();
  await using client = over(c);
  try {
    await (await t.call(client, o.url)).text();
    await t.advance(11);
    const revalidated = await t.call(client, o.url);
    assert.deepEqual(await summary(revalidated), [200, "body1", "switchyard; fwd=stale; fwd-status=304"]);
    assert.equal(revalidated.headers.get("x-version"), "2", "the 304's headers replace the stored ones");
    assert.deepEqual(o.seen[1], { ifNoneMatch: '"v1"', ifModifiedSince: null });
    await t.advance(50);
    const hit = await t.call(client, o.url);
    assert.deepEqual(
      await summary(hit),
      [200, "body1", "switchyard; hit; ttl=10"],
      "fresh again, for the 304's max-age",
    );
    assert.equal(o.seen.length, 2);
  } finally {
    await o.close();
  }
});

timedLanes("cache: Last-Modified revalidates with If-Modified-Since; a 304 for another ETag refetches", async (t) => {
  const lastModified = "Wed, 31 Dec 2025 00:00:00 GMT";
  const o = origin((seen, n) => {
    if (seen.ifModifiedSince === lastModified && n === 2) {
      return new Response(null, { status: 304, headers: { "cache-control": "max-age=10" } });
    }
    if (seen.ifNoneMatch === '"a"') return new Response(null, { status: 304, headers: { etag: '"b"' } });
    return new Response(`v${n}`, {
      headers: { "cache-control": "max-age=10", ...(n === 1 ? { "last-modified": lastModified } : { etag: '"a"' }) },
    });
  });
  const c = t.cache();
  await using client = over(c);
  try {
    await (await t.call(client, o.url)).text();
    await t.advance(11);
    assert.equal(await (await t.call(client, o.url)).text(), "v1");
    assert.equal(o.seen[1]!.ifModifiedSince, lastModified);
    c.clear();
    await (await t.call(client, o.url)).text(); // v3, with ETag "a"
    await t.advance(11);
    const refetched = await t.call(client, o.url);
    assert.equal(await refetched.text(), "v5", 'a 304 naming "b" cannot refresh "a": asked again, unconditionally');
    assert.deepEqual(o.seen.slice(3).map((s) => s.ifNoneMatch), ['"a"', null]);
  } finally {
    await o.close();
  }
});

/** An in-process origin whose next answer the test chooses: a response, or a throw (a TransportError). */
const scripted = () => {
  const state = { next: (n: number): Response => new Response(`ok${n}`), calls: 0 };
  const transport = HandlerTransport.make(() => state.next(++state.calls));
  return { state, transport };
};

timedLanes("cache: a stale response is never served unless a stale-* directive allows it", async (t) => {
  const { state, transport } = scripted();
  const c = t.cache();
  await using client = over(c, transport);
  state.next = (n) => new Response(`ok${n}`, { headers: { "cache-control": "max-age=10", etag: '"x"' } });
  await (await t.call(client, "http://app.test/")).text();
  await t.advance(11);
  state.next = () => {
    throw new Error("origin down");
  };
  await assert.rejects(t.call(client, "http://app.test/"), AppError, "the error, not the stale response");
  state.next = () => new Response("unavailable", { status: 503 });
  assert.deepEqual(await summary(await t.call(client, "http://app.test/")), [
    503,
    "unavailable",
    "switchyard; fwd=stale; fwd-status=503; detail=not-cacheable",
  ]);
  state.next = (n) => new Response(`ok${n}`, { headers: { "cache-control": "max-age=10" } });
  assert.equal(await (await t.call(client, "http://app.test/")).text(), "ok4", "the stale entry was kept, not used");
});

timedLanes(
  "cache: stale-if-error serves the stale response for a 5xx or a transport failure, within its window",
  async (t) => {
    const { state, transport } = scripted();
    const c = t.cache();
    await using client = over(c, transport);
    state.next = (n) => new Response(`ok${n}`, { headers: { "cache-control": "max-age=10, stale-if-error=60" } });
    await (await t.call(client, "http://app.test/")).text();
    await t.advance(20);
    state.next = () => new Response("busy", { status: 503 });
    assert.deepEqual(await summary(await t.call(client, "http://app.test/")), [
      200,
      "ok1",
      "switchyard; fwd=stale; fwd-status=503; detail=stale-if-error",
    ]);
    state.next = () => {
      throw new Error("origin down");
    };
    assert.deepEqual(await summary(await t.call(client, "http://app.test/")), [
      200,
      "ok1",
      "switchyard; fwd=stale; detail=stale-if-error",
    ]);
    await t.advance(60);
    await assert.rejects(t.call(client, "http://app.test/"), AppError, "70 s stale is past the 60 s window");
    state.next = () => new Response("busy", { status: 503 });
    const asked = await t.call(client, "http://app.test/", { headers: { "cache-control": "stale-if-error=300" } });
    assert.equal(await asked.text(), "ok1", "the request's own stale-if-error widens it");
  },
);

timedLanes("cache: must-revalidate forbids every stale use, max-stale and stale-if-error included", async (t) => {
  const { state, transport } = scripted();
  const c = t.cache();
  await using client = over(c, transport);
  state.next = (n) =>
    new Response(`ok${n}`, { headers: { "cache-control": "max-age=10, must-revalidate, stale-if-error=600" } });
  await (await t.call(client, "http://app.test/")).text();
  await t.advance(11);
  state.next = () => new Response("busy", { status: 503 });
  const response = await t.call(client, "http://app.test/", { headers: { "cache-control": "max-stale=3600" } });
  assert.deepEqual([response.status, await response.text()], [503, "busy"]);
  const only = await t.call(client, "http://app.test/", { headers: { "cache-control": "only-if-cached, max-stale" } });
  assert.equal(only.status, 504);
  await only.body?.cancel();
});

timedLanes("cache: a no-cache response is stored but validated before every use", async (t) => {
  const o = origin((seen, n) =>
    seen.ifNoneMatch === '"n"'
      ? new Response(null, { status: 304, headers: { etag: '"n"' } })
      : new Response(`n${n}`, { headers: { "cache-control": "no-cache", etag: '"n"' } })
  );
  const c = t.cache();
  await using client = over(c);
  try {
    await (await t.call(client, o.url)).text();
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(await summary(await t.call(client, o.url)), [
        200,
        "n1",
        "switchyard; fwd=stale; fwd-status=304",
      ]);
    }
    assert.deepEqual(o.seen.map((s) => s.ifNoneMatch), [null, '"n"', '"n"']);
  } finally {
    await o.close();
  }
});

timedLanes("cache: stale-while-revalidate answers at once and revalidates in the background", async (t) => {
  const o = origin((_, n) =>
    new Response(`s${n}`, { headers: { "cache-control": "max-age=10, stale-while-revalidate=30", date: t.date() } })
  );
  const c = t.cache();
  await using client = over(c);
  try {
    await (await t.call(client, o.url)).text();
    await t.advance(15);
    const stale = await t.call(client, o.url);
    assert.deepEqual(await summary(stale), [200, "s1", "switchyard; hit; ttl=-5; detail=stale-while-revalidate"]);
    await c.settled();
    assert.equal(o.seen.length, 2, "revalidated once, in the background");
    assert.deepEqual(await summary(await t.call(client, o.url)), [200, "s2", "switchyard; hit; ttl=10"]);
    await t.advance(50);
    const late = await t.call(client, o.url);
    assert.deepEqual(await summary(late), [200, "s3", "switchyard; fwd=stale; fwd-status=200; stored"]);
    assert.equal(o.seen.length, 3, "beyond the window it waits for the origin");
  } finally {
    await o.close();
  }
});

timedLanes("cache: a transport failure of a real origin is served stale only with stale-if-error", async (t) => {
  let port = 0;
  const routes = (n: number) =>
    new Response(`r${n}`, { headers: { "cache-control": n === 1 ? "max-age=5, stale-if-error=60" : "max-age=5" } });
  let n = 0;
  const first = serve(() => routes(++n));
  port = first.port;
  const c = t.cache();
  await using client = over(c);
  await (await t.call(client, `http://127.0.0.1:${port}/a`)).text();
  await (await t.call(client, `http://127.0.0.1:${port}/b`)).text();
  await first.close();
  await t.advance(10);
  assert.equal(await (await t.call(client, `http://127.0.0.1:${port}/a`)).text(), "r1");
  await assert.rejects(t.call(client, `http://127.0.0.1:${port}/b`), ConnectError);
});

test("cache: a credential is keyed by an HMAC, never stored in clear", async () => {
  const engine = new CacheEngine({
    maxEntries: 10,
    maxBytes: 1 << 20,
    maxEntryBytes: 1 << 16,
    key: (r) => r.url,
    authorized: true,
    heuristic: 0.1,
    name: "switchyard",
  });
  const request = new Request("http://app.test/me", { headers: { authorization: "Bearer s3cr3t-token" } });
  let step = engine.begin(request, 0);
  if (step.kind === "wait") await step.ready;
  step = engine.begin(request, 0);
  assert.equal(step.kind, "forward");
  if (step.kind !== "forward") return;
  const answer = engine.received(step, new Response("mine", { headers: { "cache-control": "max-age=60" } }), 0);
  await (answer as Response).text();
  const stored = engine.store.describe();
  assert.equal(stored.length, 1);
  assert.ok(!JSON.stringify(stored).includes("s3cr3t"), JSON.stringify(stored));
  assert.match(stored[0]!.partition, /^[\w-]{43}$/, "a base64url SHA-256 HMAC");
  const other = new CacheEngine({ ...engine["config"], authorized: true });
  let second = other.begin(request, 0);
  if (second.kind === "wait") await second.ready;
  second = other.begin(request, 0);
  if (second.kind !== "forward") return assert.fail("a miss");
  await (other.received(second, new Response("x", { headers: { "cache-control": "max-age=60" } }), 0) as Response)
    .text();
  assert.notEqual(other.store.describe()[0]!.partition, stored[0]!.partition, "a key per cache: not a plain hash");
});

test("cache: a stale-while-revalidate revalidation on the Effect lane runs under the caller's Clock", async () => {
  // The background fiber inherits the TestClock: its response time is the test's, so the entry it stores is fresh
  // at the test's time (with the live clock it would be 56 years in the future of the test's clock).
  const { TestClock } = await import("effect/testing");
  const { cache } = await import("../plugins/cache.ts");
  let n = 0;
  const c = cache();
  await using client = Client.make({
    transport: HandlerTransport.make(() =>
      new Response(`b${++n}`, { headers: { "cache-control": "max-age=10, stale-while-revalidate=60" } })
    ),
    plugins: [c],
  });
  const text = (r: Response) => Effect.promise(() => r.text());
  const bodies = await Effect.runPromise(
    Effect.gen(function* () {
      const a = yield* Effect.flatMap(client.get("http://app.test/"), text);
      yield* TestClock.adjust("15 seconds");
      const b = yield* Effect.flatMap(client.get("http://app.test/"), text);
      yield* Effect.promise(() => c.settled());
      yield* TestClock.adjust("5 seconds");
      const d = yield* Effect.flatMap(client.get("http://app.test/"), text);
      return [a, b, d];
    }).pipe(Effect.provide(TestClock.layer())),
  );
  assert.deepEqual(bodies, ["b1", "b1", "b2"]);
  assert.equal(n, 2);
});
