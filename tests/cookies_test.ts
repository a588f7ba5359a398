/**
 * `cookies()` and `CookieJar`: a client jar on real loopback servers and
 * in-process apps, through both lanes. The RFC 6265 rules a client jar must
 * keep, expiry on Effect's Clock (TestClock) and on real time, the caller's
 * own `Cookie` header merged, and what must never happen: a cookie sent to
 * another host across a redirect, a cookie in a log record.
 */
import assert from "node:assert/strict";
import { Effect } from "effect";
import { TestClock } from "effect/testing";
import {
  Client,
  CookieJar,
  cookies,
  HandlerTransport,
  InvalidOptions,
  logging,
  type LogRecord,
  Transport,
} from "../mod.ts";
import { serve, type TestServer, withServer } from "./fixtures/server.ts";
import { test } from "./harness.ts";
import { bothLanes } from "./lanes.ts";

/** An app that sets what `?set=` says (several with `&set=`) and echoes the Cookie header it got. */
const cookieApp = (request: Request): Response => {
  const url = new URL(request.url);
  const headers = new Headers();
  for (const value of url.searchParams.getAll("set")) headers.append("set-cookie", value);
  return new Response(request.headers.get("cookie") ?? "", { headers });
};

const clientFor = (jar = CookieJar.make()) =>
  Client.make({ transport: HandlerTransport.make(cookieApp), plugins: [cookies({ jar })] });

const set = (url: string, ...values: string[]) =>
  `${url}${url.includes("?") ? "&" : "?"}${values.map((v) => `set=${encodeURIComponent(v)}`).join("&")}`;

bothLanes(
  "cookies: a real server's cookie comes back; the caller's Cookie header is merged, not replaced",
  async ({ call }) => {
    await withServer(cookieApp, async (server) => {
      const plugin = cookies();
      await using client = Client.make({ trustEnv: false, plugins: [plugin] });
      await (await call(client, set(`${server.url}/login`, "sid=abc; Path=/; HttpOnly", "theme=dark"))).text();
      assert.equal(await (await call(client, `${server.url}/me`)).text(), "sid=abc; theme=dark");
      const merged = await call(client, `${server.url}/me`, { headers: { cookie: "lang=en; theme=light" } });
      assert.equal(await merged.text(), "lang=en; theme=light; sid=abc", "the caller's first; a name it set wins");
      assert.equal((await plugin.jar.cookies()).length, 2);
    });
  },
);

bothLanes(
  "cookies: never to another host across a redirect; the same host on another port follows RFC 6265",
  async ({ call }) => {
    const seen: string[] = [];
    const landing = (request: Request) => {
      seen.push(`${new URL(request.url).host.replace(/:\d+$/, "")} ${request.headers.get("cookie") ?? "(none)"}`);
      return new Response("landed");
    };
    const origin = serve((request) => {
      const to = new URL(request.url).searchParams.get("to")!;
      return new Response(null, { status: 302, headers: { location: to, "set-cookie": "sid=secret-session; Path=/" } });
    });
    const other = serve(landing);
    try {
      await using client = Client.make({ trustEnv: false, plugins: [cookies()] });
      // 127.0.0.1 sets a host-only cookie and redirects to localhost: another host, so no cookie.
      const go = (to: string) => `${origin.url}/go?to=${encodeURIComponent(to)}`;
      await (await call(client, go(`http://localhost:${other.port}/x`), { headers: { cookie: "mine=1" } })).text();
      assert.deepEqual(seen, ["localhost (none)"], "neither the jar's cookie nor the caller's");
      // Cookies are not isolated by port (RFC 6265 §8.5): the same host on another port gets the host's cookie.
      seen.length = 0;
      await (await call(client, go(`${other.url}/y`))).text();
      assert.deepEqual(seen, ["127.0.0.1 sid=secret-session"]);
    } finally {
      await Promise.all([origin.close(), other.close()]);
    }
  },
);

bothLanes(
  "cookies: a same-origin redirect hop carries each cookie once (the jar's cookies go on a copy)",
  async ({ call }) => {
    await withServer((request) => {
      const url = new URL(request.url);
      if (url.pathname === "/start") {
        return new Response(null, { status: 302, headers: { location: "/end", "set-cookie": "step=2" } });
      }
      return new Response(request.headers.get("cookie"));
    }, async (server) => {
      const jar = CookieJar.make();
      await jar.setCookie("sid=1", server.url);
      await using client = Client.make({ trustEnv: false, plugins: [cookies({ jar })] });
      const response = await call(client, `${server.url}/start`, { headers: { cookie: "mine=x" } });
      assert.equal(
        await response.text(),
        "mine=x; sid=1; step=2",
        "the first hop's Set-Cookie is stored before the next hop",
      );
    });
  },
);

bothLanes(
  "cookies: public suffixes refused; host-only versus domain; default path and path matching",
  async ({ call }) => {
    const plugin = cookies();
    await using client = Client.make({ transport: HandlerTransport.make(cookieApp), plugins: [plugin] });
    await (await call(client, set("https://www.shop.co.uk/", "psl=1; Domain=co.uk", "dom=1; Domain=shop.co.uk")))
      .text();
    await (await call(client, set("https://shop.co.uk/", "host=1"))).text();
    await (await call(client, set("https://shop.co.uk/docs/guide/page", "dflt=1"))).text(); // default path /docs/guide
    await (await call(client, set("https://shop.co.uk/", "app=1; Path=/app"))).text();
    assert.equal(await (await call(client, "https://other.co.uk/")).text(), "", "Domain=co.uk was refused");
    assert.equal(
      await (await call(client, "https://api.shop.co.uk/")).text(),
      "dom=1",
      "domain cookie: subdomains too",
    );
    assert.equal(await (await call(client, "https://shop.co.uk/")).text(), "dom=1; host=1");
    assert.equal(await (await call(client, "https://shop.co.uk/docs/guide/x")).text(), "dflt=1; dom=1; host=1");
    assert.equal(await (await call(client, "https://shop.co.uk/docs/")).text(), "dom=1; host=1", "not above its path");
    assert.equal(
      await (await call(client, "https://shop.co.uk/application")).text(),
      "dom=1; host=1",
      "/app is not /application",
    );
    assert.equal(await (await call(client, "https://shop.co.uk/app/x")).text(), "app=1; dom=1; host=1");
    const stored = await plugin.jar.cookies();
    assert.deepEqual(
      stored.map((c) => `${c.name} ${c.hostOnly ? "host" : "domain"} ${c.domain}${c.path}`).sort(),
      ["app host shop.co.uk/app", "dflt host shop.co.uk/docs/guide", "dom domain shop.co.uk/", "host host shop.co.uk/"],
    );
  },
);

bothLanes("cookies: Secure only over https and to localhost; __Secure- and __Host- prefixes", async ({ call }) => {
  await using client = clientFor();
  await (await call(client, set("http://plain.test/", "s=1; Secure"))).text();
  await (await call(client, set("https://safe.test/", "s=2; Secure", "__Secure-a=1", "__Secure-b=1; Secure"))).text();
  await (await call(
    client,
    set("https://safe.test/", "__Host-c=1; Secure; Path=/", "__Host-d=1; Secure; Domain=safe.test; Path=/"),
  )).text();
  await (await call(client, set("https://safe.test/", "__Host-e=1; Secure; Path=/sub"))).text();
  await (await call(client, set("http://localhost/", "l=1; Secure"))).text();
  assert.equal(await (await call(client, "http://plain.test/")).text(), "", "a Secure cookie set over http is refused");
  assert.equal(await (await call(client, "http://safe.test/")).text(), "", "and never sent over http");
  assert.equal(await (await call(client, "https://safe.test/")).text(), "s=2; __Secure-b=1; __Host-c=1");
  assert.equal(await (await call(client, "http://localhost/")).text(), "l=1", "localhost is a secure context");
});

bothLanes(
  "cookies: replacement by name, domain and path; order by path length, then creation; deletion",
  async ({ call }) => {
    await using client = clientFor();
    await (await call(client, set("https://a.test/", "b=1", "a=1"))).text();
    await (await call(client, set("https://a.test/", "z=1; Path=/x/y", "m=1; Path=/x"))).text();
    await (await call(client, set("https://a.test/", "b=2"))).text(); // replaces b=1, keeps its creation time
    await (await call(client, set("https://a.test/", "a=1; Path=/x"))).text(); // another path: another cookie
    assert.equal(await (await call(client, "https://a.test/x/y/z")).text(), "z=1; m=1; a=1; b=2; a=1");
    await (await call(client, set("https://a.test/", "b=gone; Max-Age=0"))).text();
    await (await call(client, set("https://a.test/", "m=gone; Path=/x; Expires=Thu, 01 Jan 1970 00:00:01 GMT"))).text();
    assert.equal(await (await call(client, "https://a.test/x/y/z")).text(), "z=1; a=1; a=1");
  },
);

bothLanes(
  "cookies: Max-Age over Expires, on real time; an empty jar leaves the request untouched",
  async ({ call }) => {
    const sent: Request[] = [];
    const inner = (next: Transport): Transport =>
      Transport.wrap(next, {
        name: "spy",
        handle: (request) => (sent.push(request), next.handle(request)),
        fetch: (request, nextFetch) => (sent.push(request), nextFetch(request)),
      });
    const outer: Request[] = [];
    const before = (next: Transport): Transport =>
      Transport.wrap(next, {
        name: "before",
        handle: (request) => (outer.push(request), next.handle(request)),
        fetch: (request, nextFetch) => (outer.push(request), nextFetch(request)),
      });
    await using client = Client.make({
      transport: HandlerTransport.make(cookieApp),
      plugins: [before, cookies(), inner],
    });
    await (await call(client, "https://t.test/")).text();
    assert.equal(sent[0], outer[0], "an empty jar: the very same request goes on");
    const far = "Expires=Fri, 01 Jan 2100 00:00:00 GMT";
    await (await call(client, set("https://t.test/", `short=1; Max-Age=1; ${far}`, "long=1; Max-Age=600"))).text();
    assert.equal(await (await call(client, "https://t.test/")).text(), "short=1; long=1");
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal(await (await call(client, "https://t.test/")).text(), "long=1", "Max-Age beat a far Expires");
  },
);

test("cookies: expiry runs on Effect's Clock: TestClock moves it, and reading a cookie does not extend it", async () => {
  await using client = clientFor();
  const text = (url: string) => Effect.flatMap(client.get(url), (r) => Effect.promise(() => r.text()));
  const program = Effect.gen(function* () {
    yield* TestClock.setTime(Date.UTC(2030, 0, 1));
    yield* text(set("https://t.test/", "a=1; Max-Age=60", "b=1; Expires=Tue, 01 Jan 2030 00:02:00 GMT"));
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      seen.push(yield* text("https://t.test/"));
      yield* TestClock.adjust("50 seconds");
    }
    return seen;
  }).pipe(Effect.provide(TestClock.layer()));
  // t=0 both; t=50 s both (reads do not slide Max-Age); t=100 s b only; t=150 s none.
  assert.deepEqual(await Effect.runPromise(program), ["a=1; b=1", "a=1; b=1", "b=1", ""]);
});

test("cookies: toJSON/fromJSON persist a jar, Max-Age as an absolute expiry; bad JSON is typed", async () => {
  const jar = CookieJar.make();
  const now = Date.now();
  assert.equal(await jar.setCookie("sid=abc; Max-Age=3600", "https://example.com/", now), true);
  assert.equal(await jar.setCookie("nope=1; Domain=com", "https://example.com/"), false);
  const saved = JSON.stringify(jar.toJSON());
  assert.doesNotMatch(saved, /maxAge/);
  const restored = CookieJar.fromJSON(saved);
  assert.deepEqual(restored.toJSON(), JSON.parse(saved), "not loaded yet: the JSON as given");
  assert.equal(await restored.cookieHeader("https://example.com/"), "sid=abc");
  const [cookie] = await restored.cookies();
  assert.equal(cookie!.expires, now + 3_600_000);
  assert.equal(await restored.cookieHeader("https://example.com/", now + 3_601_000), "", "expires as it would have");
  assert.deepEqual(await restored.cookies(), [], "a read past its expiry dropped it");
  restored.clear();
  assert.equal(await restored.cookieHeader("https://example.com/"), "");
  assert.throws(() => CookieJar.fromJSON("{not json"), InvalidOptions);
  assert.throws(() => CookieJar.fromJSON({} as never), InvalidOptions);
  assert.throws(() => cookies({ jar: {} as never }), InvalidOptions);
});

bothLanes(
  "cookies: a jar restored from JSON works through the plugin; no cookie reaches a log record",
  async ({ call }) => {
    const source = CookieJar.make();
    await source.setCookie("sid=s3cret-cookie; Path=/", "https://api.test/");
    const records: LogRecord[] = [];
    const app = (request: Request) =>
      new URL(request.url).pathname === "/login"
        ? new Response(request.headers.get("cookie"), { headers: { "set-cookie": "more=s3cret-too" } })
        : cookieApp(request);
    await using client = Client.make({
      transport: HandlerTransport.make(app),
      plugins: [logging({ log: (r) => void records.push(r) }), cookies({ jar: CookieJar.fromJSON(source.toJSON()) })],
    });
    assert.equal(await (await call(client, "https://api.test/login")).text(), "sid=s3cret-cookie");
    assert.equal(await (await call(client, "https://api.test/")).text(), "sid=s3cret-cookie; more=s3cret-too");
    assert.equal(records.length, 2);
    assert.doesNotMatch(JSON.stringify(records), /s3cret/);
  },
);

test("cookies: the plugin is named, shares a jar between clients, and keeps a real server's cookies per host", async () => {
  const jar = CookieJar.make();
  let server: TestServer | undefined;
  try {
    server = serve(cookieApp);
    await using a = Client.make({ trustEnv: false, plugins: [cookies({ jar })] });
    await using b = Client.make({ trustEnv: false, plugins: [cookies({ jar })] });
    assert.deepEqual(a.explain(server.url).plugins, ["cookies"]);
    await (await a.fetch(set(`${server.url}/`, "shared=1"))).text();
    assert.equal(await (await b.fetch(`${server.url}/`)).text(), "shared=1");
    assert.equal(await (await b.fetch(`http://localhost:${server.port}/`)).text(), "", "another host: nothing");
  } finally {
    await server?.close();
  }
});
