import assert from "node:assert/strict";
import { Effect } from "effect";
import { AppError, Client, ConnectError, InvalidOptions, MockTransport, ReadTimeout } from "../mod.ts";
import { test } from "./harness.ts";

test("mock: sync and async handlers answer; the history records each call with an unread body copy", async () => {
  const mock = MockTransport.make(async (request) => {
    if (request.method === "POST") return new Response(`got ${await request.text()}`, { status: 201 });
    return new Response("sync-ish");
  });
  await using client = Client.make({ transport: mock });
  assert.equal(await (await client.fetch("http://api.test/a")).text(), "sync-ish");
  assert.equal(
    await (await client.fetch("http://api.test/b", { method: "POST", body: "payload" })).text(),
    "got payload",
  );
  assert.equal(mock.calls.length, 2);
  assert.deepEqual(mock.calls.map((c) => [c.request.method, c.request.url, c.outcome]), [
    ["GET", "http://api.test/a", { status: 200 }],
    ["POST", "http://api.test/b", { status: 201 }],
  ]);
  assert.equal(await mock.calls[1]!.request.text(), "payload", "the recorded copy is still readable");
  mock.reset();
  assert.equal(mock.calls.length, 0);
});

test("mock: a thrown, rejected or Effect-failed TransportError reaches the caller as that error", async () => {
  const mock = MockTransport.make((request) => {
    const path = new URL(request.url).pathname;
    if (path === "/throw") throw new ConnectError(request, { detail: "simulated refusal" });
    if (path === "/reject") return Promise.reject(new ReadTimeout(request, { detail: "simulated" }));
    return Effect.fail(new ConnectError(request, { detail: "as an Effect" }));
  });
  await using client = Client.make({ transport: mock });
  const thrown = await client.fetch("http://api.test/throw").catch((e) => e);
  assert.ok(thrown instanceof ConnectError);
  // The Promise face shows fetch's network error ("fetch failed"); the tagged error's sentence is its cause's.
  assert.ok(thrown instanceof TypeError);
  assert.equal(thrown.message, "fetch failed");
  assert.match(
    (thrown.cause as Error).message,
    /Could not connect: GET http:\/\/api\.test\/throw \(simulated refusal\)/,
  );
  assert.equal(thrown.detail, "simulated refusal");
  await assert.rejects(client.fetch("http://api.test/reject"), ReadTimeout);
  const tag = await Effect.runPromise(
    client.get("http://api.test/effect").pipe(
      Effect.as("none"),
      Effect.catchTag("ConnectError", (e) => Effect.succeed(e.detail)),
    ),
  );
  assert.equal(tag, "as an Effect");
  assert.equal(mock.calls.length, 3);
  assert.ok("error" in mock.calls[0]!.outcome && mock.calls[0]!.outcome.error instanceof ConnectError);
});

test("mock: any other thrown value, or a non-Response, is an AppError", async () => {
  await using client = Client.make({ transport: MockTransport.make(() => ({ not: "a response" }) as never) });
  const error = await client.fetch("http://api.test/").catch((e) => e);
  assert.ok(error instanceof AppError);
  assert.match(error.message, /not a Response/);
  const boom = new TypeError("oops");
  await using throwing = Client.make({
    transport: MockTransport.make(() => {
      throw boom;
    }),
  });
  const wrapped = await throwing.fetch("http://api.test/").catch((e) => e);
  assert.ok(wrapped instanceof AppError && wrapped.cause === boom);
  assert.throws(() => MockTransport.make(42 as never), InvalidOptions);
});
