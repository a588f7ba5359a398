/**
 * `record`: exchanges with real servers written as HAR 1.2 (checked by the
 * structural validator), secrets kept out, streamed bodies passed through
 * without being buffered ahead of the caller, failures recorded as browsers
 * record them. Both lanes.
 */
import assert from "node:assert/strict";
import { Effect } from "effect";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client, ConnectError, HttpTransport, InvalidOptions, MockTransport } from "../mod.ts";
import { type Har, record } from "../testing.ts";
import { runChild } from "./fixtures/child.ts";
import { withServer } from "./fixtures/server.ts";
import { inTempDir } from "./fixtures/temp_dir.ts";
import { test, testOn } from "./harness.ts";
import { validateHar } from "./har_validator.ts";
import { bothLanes } from "./lanes.ts";

const readHar = (path: string): Har => JSON.parse(readFileSync(path, "utf8"));

bothLanes("record: an exchange with a real server becomes a HAR 1.2 entry, written to a file", async ({ call }) => {
  await inTempDir("har", async (dir) => {
    await withServer(async (request) => {
      const body = await request.text();
      return Response.json({ got: JSON.parse(body), path: new URL(request.url).pathname }, {
        status: 201,
        headers: { "x-server": "loopback", location: "/users/7" },
      });
    }, async (server) => {
      const path = join(dir, "nested", "api.har");
      const recorder = record({ path });
      const client = Client.make({ transport: HttpTransport.make(), plugins: [recorder] });
      const response = await call(client, `${server.url}/users?page=2#top`, {
        method: "POST",
        body: JSON.stringify({ name: "Ada" }),
        headers: { "content-type": "application/json", "x-trace": "t-1" },
      });
      assert.deepEqual(await response.json(), { got: { name: "Ada" }, path: "/users" });
      await recorder.flush();
      await Effect.runPromise(client.close());
      const har = readHar(path);
      assert.deepEqual(validateHar(har), []);
      assert.equal(har.log.creator.name, "switchyard");
      assert.equal(har.log.entries.length, 1);
      const [entry] = har.log.entries;
      assert.equal(entry!.request.method, "POST");
      assert.equal(entry!.request.url, `${server.url}/users?page=2`, "the fragment is not part of the request URL");
      assert.deepEqual(entry!.request.queryString, [{ name: "page", value: "2" }]);
      assert.deepEqual(entry!.request.postData, { mimeType: "application/json", text: '{"name":"Ada"}' });
      assert.ok(entry!.request.headers.some((h) => h.name === "x-trace" && h.value === "t-1"));
      assert.equal(entry!.response.status, 201);
      assert.equal(entry!.response.redirectURL, "/users/7");
      assert.ok(entry!.response.headers.some((h) => h.name === "x-server" && h.value === "loopback"));
      assert.match(entry!.response.content.mimeType, /^application\/json/, "Bun adds ;charset=utf-8");
      assert.deepEqual(JSON.parse(entry!.response.content.text!), { got: { name: "Ada" }, path: "/users" });
      assert.ok(entry!.timings.wait >= 0 && entry!.timings.receive >= 0);
      assert.deepEqual(recorder.har().log.entries, har.log.entries, "the file holds what the recorder holds");
    });
  });
});

bothLanes("record: secrets never reach the recording, by default and as configured", async ({ call }) => {
  let last: Har | undefined;
  const recorder = record({
    sink: (har) => void (last = har),
    redact: { headers: ["x-tenant-key"], query: ["code"], keep: ["x-api-key"] },
  });
  const mock = MockTransport.make(() =>
    Response.json({ access_token: "tok-from-server", user: "ada" }, {
      headers: { "set-cookie": "sid=cookie-from-server; Path=/; HttpOnly" },
    })
  );
  const client = Client.make({ transport: mock, plugins: [recorder] });
  const response = await call(client, "http://user:pass-in-url@api.test/login?token=tok-in-query&code=c0de&page=1", {
    method: "POST",
    body: JSON.stringify({ user: "ada", password: "pw-in-body", nested: { client_secret: "cs-in-body" } }),
    headers: {
      "content-type": "application/json",
      authorization: "Bearer tok-in-header",
      "proxy-authorization": "Basic proxy-cred",
      cookie: "sid=cookie-from-client",
      "x-tenant-key": "tenant-secret",
      "x-api-key": "kept-on-purpose",
    },
  });
  await response.json();
  await recorder.flush();
  const text = JSON.stringify(last);
  for (
    const secret of [
      "pass-in-url",
      "tok-in-query",
      "c0de",
      "pw-in-body",
      "cs-in-body",
      "tok-in-header",
      "proxy-cred",
      "cookie-from-client",
      "tenant-secret",
      "cookie-from-server",
      "tok-from-server",
    ]
  ) {
    assert.ok(!text.includes(secret), `${secret} is in the recording`);
  }
  assert.ok(text.includes("kept-on-purpose"), "`keep` keeps a header that looks secret");
  const entry = last!.log.entries[0]!;
  assert.equal(entry.request.url, "http://[redacted]@api.test/login?token=[redacted]&code=[redacted]&page=1");
  assert.deepEqual(entry.request.cookies, [{ name: "sid", value: "[redacted]" }]);
  assert.deepEqual(entry.response.cookies, [{ name: "sid", value: "[redacted]", path: "/", httpOnly: true }]);
  assert.deepEqual(JSON.parse(entry.response.content.text!), { access_token: "[redacted]", user: "ada" });
  assert.deepEqual(validateHar(last), []);
});

/** A server that sends `first`, then waits for `gate` before sending `second`. */
const gatedStream = (first: string, second: string, gate: Promise<void>) => () =>
  new Response(
    new ReadableStream<Uint8Array>({
      start: async (controller) => {
        controller.enqueue(new TextEncoder().encode(first));
        await gate;
        controller.enqueue(new TextEncoder().encode(second));
        controller.close();
      },
    }),
    { headers: { "content-type": "text/plain" } },
  );

const within = <A>(ms: number, what: string, promise: Promise<A>): Promise<A> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((
      _,
      reject,
    ) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
};

bothLanes(
  "record: a streamed body reaches the caller as it comes; its entry completes when the caller is done",
  async ({ call }) => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    await withServer(gatedStream("first,", "second", gate), async (server) => {
      const recorder = record();
      const client = Client.make({ transport: HttpTransport.make(), plugins: [recorder] });
      const response = await call(client, `${server.url}/stream`);
      const reader = response.body!.getReader();
      // Were the body buffered ahead of us, this read would wait for the whole body, which waits for the gate.
      const chunk = await within(3_000, "the first chunk", reader.read());
      assert.equal(new TextDecoder().decode(chunk.value), "first,");
      assert.equal(recorder.entries.length, 0, "the entry waits for the caller to finish reading");
      open();
      let rest = "";
      for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
      assert.equal(rest, "second");
      await within(
        3_000,
        "the entry",
        (async () => {
          while (recorder.entries.length === 0) await new Promise((r) => setTimeout(r, 5));
        })(),
      );
      assert.equal(recorder.entries[0]!.response.content.text, "first,second");
      await Effect.runPromise(client.close());
    });
  },
);

bothLanes("record: binary bodies are base64; a cancelled body is recorded with what was read", async ({ call }) => {
  const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00]);
  const recorder = record();
  const mock = MockTransport.make((request) =>
    new URL(request.url).pathname === "/logo.png"
      ? new Response(bytes, { headers: { "content-type": "image/png" } })
      : new Response(
        new ReadableStream({
          start: (c) => c.enqueue(new TextEncoder().encode("partial")),
        }),
        { headers: { "content-type": "text/plain" } },
      )
  );
  const client = Client.make({ transport: mock, plugins: [recorder] });
  await (await call(client, "http://api.test/logo.png", {
    method: "PUT",
    body: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
    headers: { "content-type": "application/octet-stream" },
  })).arrayBuffer();
  const streamed = await call(client, "http://api.test/endless");
  const reader = streamed.body!.getReader();
  await reader.read();
  await reader.cancel();
  await recorder.flush();
  const [binary, cancelled] = recorder.entries;
  assert.deepEqual(binary!.response.content, { size: 6, mimeType: "image/png", text: "iVBOR/8A", encoding: "base64" });
  assert.deepEqual(binary!.request.postData, {
    mimeType: "application/octet-stream",
    text: "3q2+7w==",
    _encoding: "base64",
  });
  assert.equal(cancelled!.response.content.text, "partial");
  assert.equal(cancelled!.response.content.comment, "the caller cancelled the body after 7 bytes");
  assert.deepEqual(validateHar(recorder.har()), []);
});

bothLanes(
  "record: a transport failure is an entry with status 0 and _error, unless errors: false",
  async ({ call }) => {
    const failing = () =>
      MockTransport.make((request) => {
        throw new ConnectError(request, { detail: "simulated refusal" });
      });
    const recorder = record();
    const client = Client.make({ transport: failing(), plugins: [recorder] });
    assert.ok((await call(client, "http://down.test/").catch((e) => e)) instanceof ConnectError);
    const [entry] = recorder.entries;
    assert.equal(entry!.response.status, 0);
    assert.match(
      entry!.response._error!,
      /^ConnectError: Could not connect: GET http:\/\/down\.test\/ \(simulated refusal\)/,
    );
    assert.deepEqual(validateHar(recorder.har()), []);
    const quiet = record({ errors: false });
    const quietClient = Client.make({ transport: failing(), plugins: [quiet] });
    await call(quietClient, "http://down.test/").catch(() => {});
    assert.equal(quiet.entries.length, 0);
  },
);

test("record: bodies past maxBodyBytes are cut, and say so", async () => {
  const recorder = record({ maxBodyBytes: 4 });
  await using client = Client.make({
    transport: MockTransport.make(() => new Response("0123456789", { headers: { "content-type": "text/plain" } })),
    plugins: [recorder],
  });
  assert.equal(await (await client.fetch("http://api.test/")).text(), "0123456789", "the caller gets it all");
  await recorder.flush();
  assert.deepEqual(recorder.entries[0]!.response.content, {
    size: 10,
    mimeType: "text/plain",
    text: "0123",
    comment: "cut at 4 of 10 bytes",
  });
});

test("record: bad options are InvalidOptions naming the option", () => {
  const refused = (fn: () => unknown, option: string) =>
    assert.throws(fn, (e: unknown) => e instanceof InvalidOptions && e.option === option, option);
  refused(() => record({ path: "a.har", sink: () => {} }), "sink");
  refused(() => record({ path: 42 as never }), "path");
  refused(() => record({ maxBodyBytes: -1 }), "maxBodyBytes");
  refused(() => record({ redact: { header: ["x"] } as never }), "redact.header");
  refused(() => record({ redact: { keep: "cookie" as never } }), "redact.keep");
  refused(() => record({ pth: "a.har" } as never), "pth");
});

testOn(
  "deno",
  "runtime-lacks-feature",
  "record: on Deno, writing without --allow-write fails flush() with Deno's error",
  async () => {
    const mod = new URL("../mod.ts", import.meta.url).href;
    const testing = new URL("../testing.ts", import.meta.url).href;
    const target = new URL("../.tmp/denied.har", import.meta.url).pathname;
    const out = await runChild(
      `
    import { Client, MockTransport } from ${JSON.stringify(mod)};
    import { record } from ${JSON.stringify(testing)};
    const recorder = record({ path: ${JSON.stringify(target)} });
    const client = Client.make({ transport: MockTransport.make(() => new Response("ok")), plugins: [recorder] });
    await (await client.fetch("http://api.test/")).text();
    console.log(await recorder.flush().then(() => "written", (e) => e.name + ": " + e.message));
    `,
      {},
      ["--allow-read"],
    );
    assert.match(
      out,
      /^NotCapable: Requires write access to "[^"]*\.tmp[^"]*", run again with the --allow-write flag$/,
    );
  },
);
