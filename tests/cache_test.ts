/**
 * `cache()` against a real loopback server through `HttpTransport`, on both
 * lanes (the Effect lane under a `TestClock`, the Promise lane under an
 * injected `now`): freshness from `max-age`, `Expires`/`Date`, `Age` and the
 * heuristic; `Vary`; the key; request and response directives; invalidation;
 * what is never stored; and a `cache-status` on every answer.
 */
import assert from "node:assert/strict";
import { Client } from "../client/client.ts";
import { type InvalidOptions, ReadError } from "../core/errors.ts";
import { cache, type CachePlugin } from "../plugins/cache.ts";
import { HttpTransport } from "../transports/http/mod.ts";
import { startFaultServer } from "./fixtures/faults.ts";
import { serve } from "./fixtures/server.ts";
import { test } from "./harness.ts";
import { summary, type Timed, timedLanes } from "./cache_helpers.ts";

type Route = (request: Request, hit: number) => Response | Promise<Response>;

/** A loopback origin: routes by path, counting the requests that reach each. */
const origin = (routes: Record<string, Route>) => {
  const hits: Record<string, number> = {};
  const server = serve((request) => {
    const path = new URL(request.url).pathname;
    hits[path] = (hits[path] ?? 0) + 1;
    const route = routes[path];
    return route ? route(request, hits[path]!) : new Response("no route", { status: 404 });
  });
  return { url: server.url, hits, close: () => server.close() };
};

const clientWith = (c: CachePlugin) =>
  Client.make({ transport: HttpTransport.make({ trustEnv: false }), plugins: [c] });

/** Runs `fn` with an origin and a cached client over it, closing both. */
const withOrigin = async (
  t: Timed,
  routes: (t: Timed) => Record<string, Route>,
  fn: (o: ReturnType<typeof origin>, client: Client, c: CachePlugin) => Promise<void>,
  options?: Parameters<Timed["cache"]>[0],
) => {
  const o = origin(routes(t));
  const c = t.cache(options);
  await using client = clientWith(c);
  try {
    await fn(o, client, c);
    await c.settled();
  } finally {
    await o.close();
  }
};

timedLanes("cache: max-age keeps a response fresh, then it is fetched again", (t) =>
  withOrigin(
    t,
    (t) => ({ "/a": (_, n) => new Response(`a${n}`, { headers: { "cache-control": "max-age=60", date: t.date() } }) }),
    async (o, client, c) => {
      assert.deepEqual(await summary(await t.call(client, `${o.url}/a`)), [
        200,
        "a1",
        "switchyard; fwd=uri-miss; fwd-status=200; stored",
      ]);
      await t.advance(20);
      const hit = await t.call(client, `${o.url}/a`);
      assert.equal(hit.headers.get("age"), "20");
      assert.deepEqual(await summary(hit), [200, "a1", "switchyard; hit; ttl=40"]);
      await t.advance(41);
      const [, body, status] = await summary(await t.call(client, `${o.url}/a`));
      assert.deepEqual([body, status], ["a2", "switchyard; fwd=stale; fwd-status=200; stored"]);
      assert.equal(o.hits["/a"], 2);
      assert.equal(c.entries, 1, "the new response replaced the old one");
    },
  ));

timedLanes("cache: Expires counts from Date; Age from upstream shortens freshness", (t) =>
  withOrigin(
    t,
    (t) => ({
      "/expires": (_, n) => new Response(`e${n}`, { headers: { date: t.date(), expires: t.date(30) } }),
      "/aged": (_, n) =>
        new Response(`g${n}`, { headers: { date: t.date(), "cache-control": "max-age=60", age: "50" } }),
    }),
    async (o, client) => {
      await (await t.call(client, `${o.url}/expires`)).text();
      await (await t.call(client, `${o.url}/aged`)).text();
      await t.advance(9);
      assert.equal(await (await t.call(client, `${o.url}/expires`)).text(), "e1");
      const aged = await t.call(client, `${o.url}/aged`);
      assert.deepEqual([aged.headers.get("age"), await aged.text()], ["59", "g1"], "50 s old when it arrived");
      await t.advance(2);
      assert.equal(await (await t.call(client, `${o.url}/aged`)).text(), "g2", "60 s old: stale");
      assert.equal(await (await t.call(client, `${o.url}/expires`)).text(), "e1");
      await t.advance(20);
      assert.equal(await (await t.call(client, `${o.url}/expires`)).text(), "e2", "past Expires");
    },
  ));

timedLanes(
  "cache: heuristic freshness is 10% of Date − Last-Modified, only for the statuses that allow it",
  (t) =>
    withOrigin(
      t,
      (t) => ({
        "/old": (_, n) => new Response(`o${n}`, { headers: { date: t.date(), "last-modified": t.date(-10 * 86400) } }),
        "/moved": () =>
          new Response(null, { status: 302, headers: { location: "/old", "last-modified": t.date(-10 * 86400) } }),
      }),
      async (o, client) => {
        await (await t.call(client, `${o.url}/old`)).text();
        await t.advance(23 * 3600);
        assert.equal(await (await t.call(client, `${o.url}/old`)).text(), "o1", "fresh for a tenth of 10 days");
        await t.advance(2 * 3600);
        assert.equal(await (await t.call(client, `${o.url}/old`)).text(), "o2");
        const moved = await t.call(client, `${o.url}/moved`, { redirect: "manual" });
        assert.match(moved.headers.get("cache-status")!, /detail=not-cacheable/);
        await moved.body?.cancel();
        await (await t.call(client, `${o.url}/moved`, { redirect: "manual" })).body?.cancel();
        assert.equal(o.hits["/moved"], 2, "a 302 is not heuristically cacheable");
      },
    ),
);

timedLanes("cache: Vary keeps one response per varied request header", (t) =>
  withOrigin(
    t,
    () => ({
      "/v": (request) =>
        new Response(`hello ${request.headers.get("x-tenant") ?? "any"}`, {
          headers: { "cache-control": "max-age=60", vary: "X-Tenant" },
        }),
    }),
    async (o, client) => {
      const get = async (lang?: string) => {
        const r = await t.call(client, `${o.url}/v`, lang ? { headers: { "x-tenant": lang } } : undefined);
        return `${await r.text()} ${r.headers.get("cache-status")!.split("; ")[1]}`;
      };
      assert.equal(await get("en"), "hello en fwd=uri-miss");
      assert.equal(await get("fr"), "hello fr fwd=vary-miss");
      assert.equal(await get("en"), "hello en hit");
      assert.equal(await get("fr"), "hello fr hit");
      assert.equal(await get(), "hello any fwd=vary-miss");
      assert.equal(o.hits["/v"], 3);
    },
  ));

timedLanes("cache: the key is the whole URL (query included) by default, and can be chosen", async (t) => {
  const routes = () => ({
    "/q": (request: Request) =>
      new Response(new URL(request.url).search, { headers: { "cache-control": "max-age=60" } }),
  });
  await withOrigin(t, routes, async (o, client) => {
    assert.equal(await (await t.call(client, `${o.url}/q?page=1`)).text(), "?page=1");
    assert.equal(await (await t.call(client, `${o.url}/q?page=2`)).text(), "?page=2", "undici#4209: not the same");
    assert.equal(await (await t.call(client, `${o.url}/q?page=1#top`)).text(), "?page=1");
    assert.equal(o.hits["/q"], 2, "the fragment is not part of the key");
  });
  await withOrigin(t, routes, async (o, client) => {
    await (await t.call(client, `${o.url}/q?utm=a`)).text();
    assert.equal(await (await t.call(client, `${o.url}/q?utm=b`)).text(), "?utm=a");
    assert.equal(o.hits["/q"], 1);
  }, { key: (request) => new URL(request.url).pathname });
});

timedLanes("cache: no-store (response or request) stores nothing; no-cache and Pragma revalidate", (t) =>
  withOrigin(
    t,
    () => ({
      "/secret": (_, n) => new Response(`s${n}`, { headers: { "cache-control": "no-store, max-age=60" } }),
      "/page": (_, n) => new Response(`p${n}`, { headers: { "cache-control": "max-age=60" } }),
    }),
    async (o, client, c) => {
      const first = await summary(await t.call(client, `${o.url}/secret`));
      assert.deepEqual(first, [200, "s1", "switchyard; fwd=uri-miss; fwd-status=200; detail=no-store"]);
      assert.equal(await (await t.call(client, `${o.url}/secret`)).text(), "s2");
      const bypass = await t.call(client, `${o.url}/page`, { headers: { "cache-control": "no-store" } });
      assert.deepEqual(await summary(bypass), [200, "p1", "switchyard; fwd=request; detail=no-store; fwd-status=200"]);
      assert.equal(c.entries, 0);
      await (await t.call(client, `${o.url}/page`)).text();
      const forced = await t.call(client, `${o.url}/page`, { headers: { "cache-control": "no-cache" } });
      assert.deepEqual(await summary(forced), [200, "p3", "switchyard; fwd=request; fwd-status=200; stored"]);
      const pragma = await t.call(client, `${o.url}/page`, { headers: { pragma: "no-cache" } });
      assert.equal(await pragma.text(), "p4");
      assert.equal(await (await t.call(client, `${o.url}/page`)).text(), "p4", "and a hit after");
    },
  ));

timedLanes("cache: must-understand stores what it understands despite no-store, and nothing else", (t) =>
  withOrigin(
    t,
    () => ({
      "/known": (_, n) =>
        new Response(`k${n}`, { headers: { "cache-control": "must-understand, no-store, max-age=60" } }),
      "/teapot": (_, n) =>
        new Response(`t${n}`, { status: 418, headers: { "cache-control": "must-understand, max-age=60" } }),
      "/plain": (_, n) => new Response(`p${n}`, { headers: { "cache-control": "no-store, max-age=60" } }),
    }),
    async (o, client, c) => {
      // RFC 9111 §5.2.2.3: a cache that understands a 200 ignores the no-store sent for those that do not.
      assert.deepEqual(await summary(await t.call(client, `${o.url}/known`)), [
        200,
        "k1",
        "switchyard; fwd=uri-miss; fwd-status=200; stored",
      ]);
      assert.equal(await (await t.call(client, `${o.url}/known`)).text(), "k1", "a hit");
      const teapot = await summary(await t.call(client, `${o.url}/teapot`));
      assert.deepEqual(teapot, [418, "t1", "switchyard; fwd=uri-miss; fwd-status=418; detail=must-understand"]);
      assert.equal(
        await (await t.call(client, `${o.url}/teapot`)).text(),
        "t2",
        "a status it does not know: not stored",
      );
      await (await t.call(client, `${o.url}/plain`)).text();
      assert.equal(await (await t.call(client, `${o.url}/plain`)).text(), "p2", "no-store alone still wins");
      assert.equal(c.entries, 1);
    },
  ));

timedLanes("cache: only-if-cached answers from the cache or with a 504, never from the network", (t) =>
  withOrigin(
    t,
    () => ({ "/o": (_, n) => new Response(`o${n}`, { headers: { "cache-control": "max-age=10" } }) }),
    async (o, client) => {
      const only = { headers: { "cache-control": "only-if-cached" } };
      const none = await t.call(client, `${o.url}/o`, only);
      assert.deepEqual(await summary(none), [
        504,
        "only-if-cached: nothing usable is stored",
        "switchyard; detail=only-if-cached",
      ]);
      assert.equal(o.hits["/o"], undefined, "nothing was sent");
      await (await t.call(client, `${o.url}/o`)).text();
      assert.equal(await (await t.call(client, `${o.url}/o`, only)).text(), "o1");
      await t.advance(11);
      assert.equal((await t.call(client, `${o.url}/o`, only)).status, 504, "stale is not usable without max-stale");
      const stale = { headers: { "cache-control": "only-if-cached, max-stale=5" } };
      assert.equal(await (await t.call(client, `${o.url}/o`, stale)).text(), "o1");
      assert.equal(o.hits["/o"], 1);
    },
  ));

timedLanes("cache: max-age, min-fresh and max-stale in the request", (t) =>
  withOrigin(
    t,
    () => ({ "/r": (_, n) => new Response(`r${n}`, { headers: { "cache-control": "max-age=60" } }) }),
    async (o, client) => {
      const get = async (cc: string) =>
        await (await t.call(client, `${o.url}/r`, { headers: { "cache-control": cc } })).text();
      await (await t.call(client, `${o.url}/r`)).text();
      await t.advance(30);
      assert.equal(await get("max-age=40"), "r1");
      assert.equal(await get("max-age=20"), "r2", "older than the request allows");
      await t.advance(30);
      assert.equal(await get("min-fresh=40"), "r3", "30 s left is less than asked for");
      await t.advance(70);
      assert.equal(await get("max-stale=15"), "r3", "10 s stale, 15 allowed");
      const unbounded = await t.call(client, `${o.url}/r`, { headers: { "cache-control": "max-stale" } });
      assert.match(unbounded.headers.get("cache-status")!, /^switchyard; hit; ttl=-10$/);
      assert.equal(await unbounded.text(), "r3");
      assert.equal(o.hits["/r"], 3);
    },
  ));

timedLanes("cache: an unsafe method invalidates its URL and its same-origin Location", (t) =>
  withOrigin(
    t,
    (t) => ({
      "/item": (request, n) =>
        request.method === "POST"
          ? new Response("created", { status: 201, headers: { location: "/list" } })
          : new Response(`item${n}`, { headers: { "cache-control": "max-age=60", date: t.date() } }),
      "/list": (_, n) => new Response(`list${n}`, { headers: { "cache-control": "max-age=60" } }),
      "/fail": (request, n) =>
        request.method === "POST"
          ? new Response("no", { status: 500 })
          : new Response(`f${n}`, { headers: { "cache-control": "max-age=60" } }),
    }),
    async (o, client) => {
      for (const path of ["/item", "/list", "/fail"]) await (await t.call(client, `${o.url}${path}`)).text();
      const post = await t.call(client, `${o.url}/item`, { method: "POST", body: "x" });
      assert.deepEqual(await summary(post), [201, "created", "switchyard; fwd=method; fwd-status=201"]);
      assert.equal(await (await t.call(client, `${o.url}/item`)).text(), "item3");
      assert.equal(await (await t.call(client, `${o.url}/list`)).text(), "list2", "Location invalidated too");
      await (await t.call(client, `${o.url}/fail`, { method: "POST", body: "x" })).text();
      assert.equal(await (await t.call(client, `${o.url}/fail`)).text(), "f1", "an error does not invalidate");
    },
  ));

timedLanes("cache: what is never stored or shared: Set-Cookie, 206, Authorization (unless asked)", (t) =>
  withOrigin(
    t,
    () => ({
      "/login": (_, n) =>
        new Response(`l${n}`, { headers: { "cache-control": "max-age=60", "set-cookie": "sid=abc; Path=/" } }),
      "/part": () => new Response("par", { status: 206, headers: { "cache-control": "max-age=60" } }),
      "/me": (request) =>
        new Response(`me:${request.headers.get("authorization")}`, { headers: { "cache-control": "max-age=60" } }),
    }),
    async (o, client, c) => {
      const first = await t.call(client, `${o.url}/login`);
      assert.equal(first.headers.get("set-cookie"), "sid=abc; Path=/", "the response itself keeps it");
      await first.text();
      const hit = await t.call(client, `${o.url}/login`);
      assert.equal(hit.headers.get("set-cookie"), null, "a hit never sets the cookie again");
      assert.equal(await hit.text(), "l1");
      await (await t.call(client, `${o.url}/part`)).text();
      await (await t.call(client, `${o.url}/part`)).text();
      assert.equal(o.hits["/part"], 2);
      const alice = { headers: { authorization: "Bearer alice" } };
      const me = await t.call(client, `${o.url}/me`, alice);
      assert.deepEqual(await summary(me), [
        200,
        "me:Bearer alice",
        "switchyard; fwd=bypass; detail=authorization; fwd-status=200",
      ]);
      assert.equal(await (await t.call(client, `${o.url}/me`)).text(), "me:null", "anonymous never gets it");
      assert.equal(c.entries, 2, "/login and the anonymous /me");
    },
  ));

timedLanes("cache: authorized responses are stored per credential, never shared between credentials", (t) =>
  withOrigin(
    t,
    () => ({
      "/me": (request, n) =>
        new Response(`${request.headers.get("authorization") ?? "anonymous"} #${n}`, {
          headers: { "cache-control": "private, max-age=60" },
        }),
    }),
    async (o, client) => {
      const as = async (who?: string) =>
        await (await t.call(client, `${o.url}/me`, who ? { headers: { authorization: who } } : undefined)).text();
      assert.equal(await as("Bearer alice"), "Bearer alice #1");
      assert.equal(await as("Bearer bob"), "Bearer bob #2", "bob is not given alice's response");
      assert.equal(await as(), "anonymous #3");
      assert.equal(await as("Bearer alice"), "Bearer alice #1");
      assert.equal(await as("Bearer bob"), "Bearer bob #2");
      assert.equal(await as("Basic YWxpY2U6cHc="), "Basic YWxpY2U6cHc= #4");
      assert.equal(o.hits["/me"], 4);
    },
    { authorized: true },
  ));

timedLanes(
  "cache: a body over maxEntryBytes is passed on and not stored; LRU bounds entries and bytes",
  (t) =>
    withOrigin(
      t,
      () => ({
        "/big": () => new Response("x".repeat(2000), { headers: { "cache-control": "max-age=60" } }),
        "/streamed": () =>
          new Response(new Blob(["y".repeat(1500), "y".repeat(1500)]).stream(), {
            headers: { "cache-control": "max-age=60" },
          }),
        "/1": () => new Response("one", { headers: { "cache-control": "max-age=60" } }),
        "/2": () => new Response("two", { headers: { "cache-control": "max-age=60" } }),
        "/3": () => new Response("three", { headers: { "cache-control": "max-age=60" } }),
      }),
      async (o, client, c) => {
        const big = await t.call(client, `${o.url}/big`);
        assert.match(big.headers.get("cache-status")!, /detail=too-large/);
        assert.equal((await big.text()).length, 2000);
        assert.equal((await (await t.call(client, `${o.url}/streamed`)).text()).length, 3000, "passed on whole");
        assert.equal((await (await t.call(client, `${o.url}/streamed`)).text()).length, 3000);
        assert.equal(o.hits["/streamed"], 2, "a chunked body that outgrew the limit was not stored");
        for (const path of ["/1", "/2"]) await (await t.call(client, `${o.url}${path}`)).text();
        await (await t.call(client, `${o.url}/1`)).text(); // /1 is now the most recently used
        await (await t.call(client, `${o.url}/3`)).text();
        assert.equal(c.entries, 2);
        await (await t.call(client, `${o.url}/1`)).text();
        await (await t.call(client, `${o.url}/2`)).text();
        assert.deepEqual([o.hits["/1"], o.hits["/2"]], [1, 2], "the least recently used (/2) was evicted");
        assert.ok(c.bytes > 0 && c.bytes <= 4096);
      },
      { maxEntries: 2, maxBytes: 4096, maxEntryBytes: 1024 },
    ),
);

timedLanes("cache: the body streams to the caller while it is stored; a cancelled body is not stored", async (t) => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await withOrigin(
    t,
    () => ({
      "/slow": (_, n) =>
        new Response(
          new ReadableStream({
            async start(controller) {
              controller.enqueue(new TextEncoder().encode(`first${n}-`));
              if (n === 1) await held;
              controller.enqueue(new TextEncoder().encode("second"));
              controller.close();
            },
          }),
          { headers: { "cache-control": "max-age=60" } },
        ),
    }),
    async (o, client, c) => {
      const response = await t.call(client, `${o.url}/slow`);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      assert.equal(decoder.decode((await reader.read()).value), "first1-", "read before the origin finished");
      release();
      let rest = "";
      for (let r = await reader.read(); !r.done; r = await reader.read()) rest += decoder.decode(r.value);
      assert.equal(rest, "second");
      assert.equal(await (await t.call(client, `${o.url}/slow`)).text(), "first1-second", "then a hit");
      c.clear();
      const cancelled = await t.call(client, `${o.url}/slow`);
      await cancelled.body!.cancel();
      assert.equal(c.entries, 0, "a body nobody read to its end is not stored");
      assert.equal(await (await t.call(client, `${o.url}/slow`)).text(), "first3-second");
    },
  );
});

timedLanes("cache: HEAD is answered from a stored GET; other methods pass with a cache-status", (t) =>
  withOrigin(
    t,
    () => ({
      "/h": (request) =>
        new Response(request.method === "GET" ? "body" : null, { headers: { "cache-control": "max-age=60" } }),
    }),
    async (o, client) => {
      const head = await t.call(client, `${o.url}/h`, { method: "HEAD" });
      assert.match(head.headers.get("cache-status")!, /fwd=uri-miss; fwd-status=200$/, "a HEAD response is not stored");
      await head.body?.cancel();
      await (await t.call(client, `${o.url}/h`)).text();
      const cached = await t.call(client, `${o.url}/h`, { method: "HEAD" });
      assert.match(cached.headers.get("cache-status")!, /^switchyard; hit/);
      assert.equal(cached.body, null);
      const options = await t.call(client, `${o.url}/h`, { method: "OPTIONS" });
      assert.equal(options.headers.get("cache-status"), "switchyard; fwd=method; fwd-status=200");
      await options.body?.cancel();
      assert.equal(o.hits["/h"], 3);
    },
  ));

timedLanes(
  "cache: a body that fails mid-way fails typed through the cache (ReadError), and nothing is stored",
  async (t) => {
    const server = await startFaultServer("closeMidBody");
    const c = t.cache();
    await using client = clientWith(c);
    try {
      const response = await t.call(client, server.url);
      assert.match(response.headers.get("cache-status")!, /^switchyard; fwd=uri-miss/);
      await assert.rejects(response.text(), ReadError);
      assert.equal(c.entries, 0);
    } finally {
      await server.close();
    }
  },
);

test("cache: bad options are refused at construction, naming the option", () => {
  assert.throws(() => cache({ maxEntries: 0 }), (e: InvalidOptions) => e.option === "cache.maxEntries");
  assert.throws(() => cache({ key: "url" as never }), (e: InvalidOptions) => e.option === "cache.key");
  assert.throws(() => cache({ maxAge: 1 } as never), (e: InvalidOptions) => e.option === "cache.maxAge");
});
