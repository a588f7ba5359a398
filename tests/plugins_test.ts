import assert from "node:assert/strict";
import { Effect } from "effect";
import { Client, HandlerTransport, hooks, logging, type LogRecord, MockTransport, ReadError } from "../mod.ts";
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
  assert.match(error.message, /rejected by hook/);
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
  assert.equal(records[0]!.url, "http://[redacted]@api.test/x?token=%5Bredacted%5D");
  assert.ok(records[0]!.ms >= 0);
  assert.equal(records[1]!.error?.tag, "ReadError");
  assert.doesNotMatch(JSON.stringify(records), /secret|alice|t0k|Bearer/);
});
