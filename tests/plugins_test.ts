import assert from "node:assert/strict";
import { Effect } from "effect";
import {
  Client,
  ConnectError,
  HandlerTransport,
  hooks,
  HttpTransport,
  logging,
  type LogRecord,
  MockTransport,
  ReadError,
  Transport,
} from "../mod.ts";
import { withServer } from "./fixtures/server.ts";
import { test } from "./harness.ts";

test("plugins: hooks run before and after each hop; a request hook can edit headers; an Effect hook can fail the call", async () => {
  const seen: string[] = [];
  const app = (request: Request) => new Response(request.headers.get("x-hooked") ?? "missing");
  await using client = Client.make({
    transport: HandlerTransport.make(app),
    plugins: [
      hooks({
        request: [(r) => void r.headers.set("x-hooked", "yes"), (r) => Promise.resolve(void seen.push(`req ${r.url}`))],
        response: [(res, req) => void seen.push(`res ${res.status} ${req.method}`)],
      }),
    ],
  });
  assert.equal(await (await client.fetch("http://app.test/a")).text(), "yes");
  assert.deepEqual(seen, ["req http://app.test/a", "res 200 GET"]);

  await using failing = Client.make({
    transport: MockTransport.make(() => new Response("never seen")),
    plugins: [
      hooks({ response: [(_, request) => Effect.fail(new ReadError(request, { detail: "rejected by hook" }))] }),
    ],
  });
  const error = await failing.fetch("http://app.test/").catch((e) => e);
  assert.ok(error instanceof ReadError);
  assert.match(error.detail, /rejected by hook/);
});

test("plugins: logging records method, redacted URL, status or error, and never credentials", async () => {
  const records: LogRecord[] = [];
  const mock = MockTransport.make((request) => {
    if (request.url.includes("fail")) throw new ReadError(request, { detail: "boom" });
    return new Response("ok", { status: 201 });
  });
  await using client = Client.make({ transport: mock, plugins: [logging({ log: (r) => void records.push(r) })] });
  await (await client.fetch("http://alice:secret@api.test/x?token=t0k", { headers: { authorization: "Bearer b" } }))
    .text();
  await client.fetch("http://api.test/fail").catch(() => {});
  assert.equal(records.length, 2);
  assert.equal(records[0]!.status, 201);
  assert.equal(records[0]!.url, "http://[redacted]@api.test/x?token=[redacted]");
  assert.ok(records[0]!.ms >= 0);
  assert.equal(records[1]!.error?.tag, "ReadError");
  assert.doesNotMatch(JSON.stringify(records), /secret|alice|t0k|Bearer/);
});

test("plugins: hooks and logging keep the Promise lane over a real server; both lanes give the same results", async () => {
  await withServer(
    (request) => new Response(`${request.method} ${request.headers.get("x-hooked")}`),
    async (server) => {
      const records: LogRecord[] = [];
      const seen: string[] = [];
      await using client = Client.make({
        transport: HttpTransport.make(),
        plugins: [
          hooks({
            request: [(r) => void r.headers.set("x-hooked", "yes")],
            response: [(res) => Promise.resolve(void seen.push(`res ${res.status}`))],
          }),
          logging({ log: (r) => void records.push(r) }),
        ],
      });
      // Every layer has a Promise lane: client.fetch runs no Effect.
      assert.equal(typeof client.transport.fetch, "function");
      assert.equal(await (await client.fetch(`${server.url}/p`)).text(), "GET yes");
      const viaEffect = await Effect.runPromise(client.get(`${server.url}/e`));
      assert.equal(await viaEffect.text(), "GET yes");
      assert.deepEqual(seen, ["res 200", "res 200"]);
      assert.deepEqual(records.map((r) => `${r.method} ${r.url} ${r.status}`), [
        `GET ${server.url}/p 200`,
        `GET ${server.url}/e 200`,
      ]);

      // A failure on the lane: logged with its tag, rejected with the same typed error.
      await server.close();
      const error = await client.fetch(`${server.url}/gone`).catch((e) => e);
      assert.ok(error instanceof ConnectError, String(error));
      assert.equal(records.at(-1)?.error?.tag, "ConnectError");
    },
  );
});

test("plugins: an Effect hook and a throwing hook on the Promise lane; a plugin without a lane falls back to Effect", async () => {
  const app = HandlerTransport.make(() => new Response("ok"));
  await using failing = Client.make({
    transport: app,
    plugins: [hooks({ request: [(r) => Effect.fail(new ConnectError(r, { detail: "refused by hook" }))] })],
  });
  assert.equal(typeof failing.transport.fetch, "function");
  const refused = await failing.fetch("http://app.test/").catch((e) => e);
  assert.ok(refused instanceof ConnectError);
  assert.match(refused.detail, /refused by hook/);

  const bug = new Error("hook bug");
  await using throwing = Client.make({
    transport: app,
    plugins: [hooks({
      response: [() => {
        throw bug;
      }],
    })],
  });
  assert.equal(await throwing.fetch("http://app.test/").catch((e) => e), bug);

  // Transport.wrap without a Promise half: its lane is derived from `handle` (one Effect run), and works.
  let wrapped = 0;
  await using effectOnly = Client.make({
    transport: app,
    plugins: [(next) => Transport.wrap(next, { handle: (request) => (wrapped++, next.handle(request)) })],
  });
  assert.equal(typeof effectOnly.transport.fetch, "function");
  assert.equal(await (await effectOnly.fetch("http://app.test/")).text(), "ok");
  assert.equal(wrapped, 1);
});
