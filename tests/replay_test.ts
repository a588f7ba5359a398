/**
 * `replay`: recordings answered without a server, the nearest entries shown
 * for an unrecorded request, `record-missing` and `passthrough` against a real
 * server, and a HAR exported by Chrome (tests/fixtures/browser.har, written by
 * hand in Chrome's exact shape). Both lanes.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Effect } from "effect";
import {
  Client,
  ConnectError,
  HttpTransport,
  InvalidOptions,
  MockTransport,
  ReadTimeout,
  UnrecordedRequest,
} from "../mod.ts";
import { type Har, record, replay } from "../testing.ts";
import { withServer } from "./fixtures/server.ts";
import { inTempDir } from "./fixtures/temp_dir.ts";
import { test } from "./harness.ts";
import { validateHar } from "./har_validator.ts";
import { bothLanes } from "./lanes.ts";

const browserHar = (): Har =>
  JSON.parse(readFileSync(new URL("./fixtures/browser.har", import.meta.url), "utf8")) as Har;

/** A recording made against a real server, through `record`, as a HAR document. */
const recordFromServer = async (requests: ReadonlyArray<[string, RequestInit?]>): Promise<Har> => {
  const recorder = record();
  await withServer(async (request) => {
    const url = new URL(request.url);
    const body = request.body === null ? "" : await request.text();
    return Response.json({ path: url.pathname, query: url.search, body }, {
      status: url.pathname === "/missing" ? 404 : 200,
      headers: { "x-served-by": "loopback", "set-cookie": "sid=server-secret; Path=/" },
    });
  }, async (server) => {
    await using client = Client.make({ baseUrl: server.url, transport: HttpTransport.make(), plugins: [recorder] });
    for (const [path, init] of requests) await (await client.fetch(path, init)).text();
  });
  await recorder.flush();
  // The recorded URLs name the server's port; replayed requests name the same port below.
  return recorder.har();
};

bothLanes(
  "replay: a recording answers without the server: status, headers, body; query in any order",
  async ({ call }) => {
    const har = await recordFromServer([
      ["/users?page=2&sort=name"],
      ["/users", { method: "POST", body: '{"name":"Ada"}', headers: { "content-type": "application/json" } }],
      ["/missing"],
    ]);
    const origin = new URL(har.log.entries[0]!.request.url).origin;
    await inTempDir("replay", async (dir) => {
      const path = join(dir, "api.har");
      writeFileSync(path, JSON.stringify(har));
      await using client = Client.make({ baseUrl: origin, transport: replay({ har: path }) });
      const listed = await call(client, "/users?sort=name&page=2");
      assert.equal(listed.status, 200);
      assert.equal(listed.headers.get("x-served-by"), "loopback");
      assert.equal(listed.headers.get("set-cookie"), null, "a header recorded as [redacted] is not replayed");
      assert.deepEqual(await listed.json(), { path: "/users", query: "?page=2&sort=name", body: "" });
      // JSON bodies match whatever their key order and spacing.
      const created = await call(client, "/users", {
        method: "POST",
        body: '{ "name": "Ada" }',
        headers: { "content-type": "application/json" },
      });
      assert.deepEqual(await created.json(), { path: "/users", query: "", body: '{"name":"Ada"}' });
      assert.equal((await call(client, "/missing")).status, 404);
    });
  },
);

bothLanes(
  "replay: an unrecorded request fails, listing the nearest recorded entries and what differed",
  async ({ call }) => {
    const har = await recordFromServer([
      ["/users?page=1"],
      ["/users", { method: "POST", body: '{"name":"Ada"}', headers: { "content-type": "application/json" } }],
      ["/teams"],
    ]);
    const origin = new URL(har.log.entries[0]!.request.url).origin;
    await using client = Client.make({ baseUrl: origin, transport: replay({ har }) });
    const error = await call(client, "/users?page=2&token=abc", {
      method: "POST",
      body: '{"name":"Bob","password":"hunter2"}',
      headers: { "content-type": "application/json" },
    }).catch((e) => e);
    assert.ok(error instanceof UnrecordedRequest);
    assert.deepEqual(error.nearest.map((n) => n.candidate), [
      `POST ${origin}/users (entry 1)`,
      `GET ${origin}/users?page=1 (entry 0)`,
      `GET ${origin}/teams (entry 2)`,
    ]);
    assert.deepEqual(error.nearest[0]!.differences, [
      "query: recorded (none), got ?page=2&token=%5Bredacted%5D", // the canonical (form-encoded) query
      'body: recorded {"name":"Ada"}, got {"name":"Bob","password":"[redacted]"}',
    ]);
    assert.match(
      error.message,
      /^Nothing recorded matches: POST http:\/\/127\.0\.0\.1:\d+\/users\?page=2&token=\[redacted\]/,
    );
    assert.match(error.message, /the closest recorded entries:\n {2}1\. POST/);
    assert.match(error.message, /Record it \(mode "record-missing" with a `transport`\)/);
    for (const secret of ["abc", "hunter2"]) assert.ok(!error.message.includes(secret), secret);
  },
);

bothLanes("replay: entries recorded for the same request replay in order, the last one repeating", async ({ call }) => {
  let n = 0;
  const recorder = record();
  const live = Client.make({ transport: MockTransport.make(() => new Response(`answer ${++n}`)), plugins: [recorder] });
  for (let i = 0; i < 2; i++) await (await live.fetch("http://api.test/poll")).text();
  await recorder.flush();
  await using client = Client.make({ transport: replay({ har: recorder.har() }) });
  const texts = [];
  for (let i = 0; i < 4; i++) texts.push(await (await call(client, "http://api.test/poll")).text());
  assert.deepEqual(texts, ["answer 1", "answer 2", "answer 2", "answer 2"]);
});

bothLanes(
  "replay: record-missing sends what is missing to the real server, records it, then replays it",
  async ({ call }) => {
    await inTempDir("replay", async (dir) => {
      let served = 0;
      await withServer((request) => {
        served++;
        return Response.json({ n: served, auth: request.headers.has("authorization") });
      }, async (server) => {
        const path = join(dir, "recorded.har");
        const replayer = replay({ har: path, mode: "record-missing", transport: HttpTransport.make() });
        const client = Client.make({ baseUrl: server.url, transport: replayer });
        const init = { headers: { authorization: "Bearer live-token" } };
        assert.deepEqual(await (await call(client, "/items?api_key=first-key", init)).json(), { n: 1, auth: true });
        // The same request, even with another secret in its query: it matches the redacted recording.
        assert.deepEqual(await (await call(client, "/items?api_key=second-key", init)).json(), { n: 1, auth: true });
        assert.equal(served, 1, "the second one was replayed");
        await replayer.flush();
        await Effect.runPromise(client.close());
        const text = readFileSync(path, "utf8");
        const har = JSON.parse(text) as Har;
        assert.deepEqual(validateHar(har), []);
        assert.equal(har.log.entries.length, 1);
        for (const secret of ["live-token", "first-key"]) assert.ok(!text.includes(secret), secret);
        // A later run replays from the file alone.
        await using again = Client.make({ baseUrl: server.url, transport: replay({ har: path }) });
        assert.deepEqual(await (await call(again, "/items?api_key=x", init)).json(), { n: 1, auth: true });
        assert.equal(served, 1);
      });
    });
  },
);

bothLanes(
  "replay: passthrough sends everything to the real transport, replaying and recording nothing",
  async ({ call }) => {
    await withServer(() => new Response("live"), async (server) => {
      const replayer = replay({
        har: { log: { ...browserHar().log } },
        mode: "passthrough",
        transport: HttpTransport.make(),
      });
      await using client = Client.make({ transport: replayer });
      assert.equal(await (await call(client, `${server.url}/anything`)).text(), "live");
      assert.equal((await replayer.har()).log.entries.length, browserHar().log.entries.length);
    });
  },
);

test("replay: the hand-made Chrome export is HAR 1.2, but for Chrome's sameSite cookie field", () => {
  assert.deepEqual(validateHar(browserHar()), [
    "log.entries[2].response.cookies[0].sameSite: not a HAR 1.2 field, and custom fields start with _",
  ]);
});

bothLanes("replay: a HAR exported by Chrome replays", async ({ call }) => {
  await using client = Client.make({ transport: replay({ har: browserHar() }), followRedirects: false });
  // HTTP/2 pseudo-headers in the recording, a br-encoded body recorded decoded: content-encoding is dropped.
  const products = await call(client, "https://api.shop.example/v1/products?sort=price&page=2");
  assert.equal(products.status, 200);
  assert.equal(products.headers.get("content-encoding"), null);
  assert.equal(products.headers.get("x-request-id"), "7c1e0b6a");
  assert.equal((await products.json()).items.length, 2);
  // A JSON POST; two Set-Cookie headers.
  const cart = await call(client, "https://api.shop.example/v1/cart", {
    method: "POST",
    body: JSON.stringify({ productId: "p-17", quantity: 1 }),
    headers: { "content-type": "application/json" },
  });
  assert.equal(cart.status, 201);
  assert.deepEqual(cart.headers.getSetCookie(), [
    "cart=c-901; Path=/; Secure; HttpOnly; SameSite=Lax",
    "seen=1; Path=/",
  ]);
  assert.deepEqual(await cart.json(), { cartId: "c-901", items: 1, total: 34.5 });
  // A binary body recorded as base64.
  const logo = new Uint8Array(await (await call(client, "https://cdn.shop.example/img/logo.png")).arrayBuffer());
  assert.deepEqual([...logo.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  // A form POST (Chrome writes text and params) answered with a redirect.
  const login = await call(client, "http://shop.example/login?next=%2Faccount", {
    method: "POST",
    body: new URLSearchParams({ email: "ada@example.com", password: "correct horse", remember: "on" }),
  });
  assert.equal(login.status, 302);
  assert.equal(login.headers.get("location"), "/account");
  // A request the browser saw fail (status 0, net::ERR_CONNECTION_REFUSED) fails here too.
  const beacon = await call(client, "https://metrics.shop.example/v1/beacon").catch((e) => e);
  assert.ok(beacon instanceof ConnectError);
  assert.match(beacon.message, /replayed: net::ERR_CONNECTION_REFUSED/);
});

bothLanes("replay: match options: ignored query keys, headers, no body, a custom key", async ({ call }) => {
  const har = await recordFromServer([
    ["/search?q=kettle&_ts=1", { headers: { accept: "application/json" } }],
    ["/events", { method: "POST", body: "at=1" }],
  ]);
  const origin = new URL(har.log.entries[0]!.request.url).origin;
  await using lenient = Client.make({
    baseUrl: origin,
    transport: replay({ har, match: { ignoreQuery: ["_ts"], headers: ["accept"], body: false } }),
  });
  assert.equal(
    (await call(lenient, "/search?q=kettle&_ts=99", { headers: { accept: "application/json" } })).status,
    200,
  );
  const wrongAccept = await call(lenient, "/search?q=kettle", { headers: { accept: "text/html" } }).catch((e) => e);
  assert.ok(wrongAccept instanceof UnrecordedRequest);
  assert.deepEqual(wrongAccept.nearest[0]!.differences, [
    'header accept: recorded "application/json", got "text/html"',
  ]);
  assert.equal((await call(lenient, "/events", { method: "POST", body: "at=2" })).status, 200, "bodies ignored");
  await using byPath = Client.make({
    baseUrl: origin,
    transport: replay({ har, match: { key: (input) => input.url.pathname } }),
  });
  assert.equal((await call(byPath, "/events?x=1", { method: "PUT", body: "other" })).status, 200);
});

bothLanes("replay: a recorded failure replays as the same error", async ({ call }) => {
  const recorder = record();
  const live = Client.make({
    transport: MockTransport.make((request) => {
      throw new ReadTimeout(request, { detail: "no response after 500 ms" });
    }),
    plugins: [recorder],
  });
  await live.fetch("http://slow.test/").catch(() => {});
  await using client = Client.make({ transport: replay({ har: recorder.har() }) });
  const error = await call(client, "http://slow.test/").catch((e) => e);
  assert.ok(error instanceof ReadTimeout);
  assert.match(error.message, /replayed: ReadTimeout: Timed out waiting for the response/);
});

bothLanes("replay: a missing or unusable recording says so on the first request", async ({ call }) => {
  await inTempDir("replay", async (dir) => {
    await using missing = Client.make({ transport: replay({ har: join(dir, "none.har") }) });
    const absent = await call(missing, "http://api.test/").catch((e) => e);
    assert.ok(absent instanceof UnrecordedRequest);
    assert.match(absent.message, /there is no recording at .*none\.har \(record one with mode "record-missing"\)/);
    const broken = join(dir, "broken.har");
    writeFileSync(broken, '{"log":{}}');
    await using bad = Client.make({ transport: replay({ har: broken }) });
    const unusable = await call(bad, "http://api.test/").catch((e) => e);
    assert.ok(unusable instanceof UnrecordedRequest);
    assert.match(unusable.message, /broken\.har is not usable: `log\.entries` is missing: not a HAR file/);
  });
});

test("replay: bad options are InvalidOptions naming the option", () => {
  const har = browserHar();
  const refused = (fn: () => unknown, option: string) =>
    assert.throws(fn, (e: unknown) => e instanceof InvalidOptions && e.option === option, option);
  refused(() => replay({ har: 42 as never }), "har");
  refused(() => replay({ har, mode: "record" as never }), "mode");
  refused(() => replay({ har, mode: "record-missing" }), "transport");
  refused(() => replay({ har, mode: "passthrough" }), "transport");
  refused(() => replay({ har, match: { ignoreQuery: "x" as never } }), "match.ignoreQuery");
  refused(() => replay({ har, match: { header: [] } as never }), "match.header");
  refused(() => replay({ har, redact: { keep: 1 as never } }), "redact.keep");
});
