/**
 * `retry` on both lanes against real loopback servers: what is retried, what
 * must never be (a POST without a key, a maybe-sent failure of a POST, a
 * one-shot body once read, a wait past the budget), Retry-After's policies,
 * and what `retryInfo` says.
 */
import assert from "node:assert/strict";
import { Effect, Fiber, Schedule } from "effect";
import {
  Client,
  ConnectError,
  HandlerTransport,
  InvalidOptions,
  RemoteProtocolError,
  retry,
  RetryAfterTooLong,
  retryInfo,
  type RetryOutcome,
  Transport,
} from "../mod.ts";
import { delayedStart, refusedPort, startFaultServer } from "./fixtures/faults.ts";
import { test } from "./harness.ts";
import { bothLanes } from "./lanes.ts";
import { streamInit, streamOf, withScripted } from "./resilience_helpers.ts";

/** Fast waits for tests: the default full jitter, capped at a few ms. */
const quick = { backoff: { baseMs: 1, maxMs: 5 } } as const;

bothLanes("retry: a 503 is retried until it succeeds; retryInfo tells each retry", async ({ call }) => {
  await withScripted(
    [503, { status: 503, headers: { "retry-after": "0" } }, 200],
    [retry(quick)],
    async (server, client) => {
      const response = await call(client, `${server.url}/a`);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "answer 3");
      const info = retryInfo(response);
      assert.equal(info.attempts, 3);
      assert.deepEqual(info.retries.map((r) => [r.attempt, r.reason, r.status]), [[1, "status 503", 503], [
        2,
        "status 503",
        503,
      ]]);
      assert.equal(info.retries[1]!.retryAfterMs, 0);
      assert.equal(info.stopped, undefined);
      assert.equal(server.seen.length, 3);
    },
  );
});

bothLanes("retry: the limit (default 2) ends it; the last response comes back, saying why", async ({ call }) => {
  await withScripted([500], [retry(quick)], async (server, client) => {
    const response = await call(client, server.url);
    assert.equal(response.status, 500);
    assert.equal(await response.text(), "answer 3");
    assert.equal(retryInfo(response).attempts, 3);
    assert.equal(retryInfo(response).stopped, "limit");
    assert.equal(server.seen.length, 3);
  });
});

bothLanes("retry: a first success passes through untouched (the same Response, no record)", async ({ send }) => {
  const answer = new Response("fine");
  const inner = Transport.make({ handle: () => Effect.succeed(answer), fetch: () => Promise.resolve(answer) });
  const t = retry()(inner);
  const response = await send(t, new Request("http://x.test/"));
  assert.equal(response, answer);
  assert.deepEqual(retryInfo(response), { attempts: 1, retries: [] });
  await response.text();
});

bothLanes("retry: a POST is not retried on a 503 without an idempotency key", async ({ call }) => {
  await withScripted([503, 200], [retry({ ...quick, idempotencyKey: true })], async (server, client) => {
    const response = await call(client, server.url, { method: "POST", body: "order" });
    assert.equal(response.status, 503);
    await response.text();
    assert.equal(retryInfo(response).stopped, "not-idempotent");
    assert.equal(server.seen.length, 1);
  });
});

bothLanes("retry: a POST with Idempotency-Key is retried only when opted in, body intact", async ({ call }) => {
  const init = { method: "POST", body: "order-1", headers: { "idempotency-key": "k-1" } };
  await withScripted([503, 201], [retry(quick)], async (server, client) => {
    const response = await call(client, server.url, init);
    assert.equal(response.status, 503, "not opted in");
    await response.text();
    assert.equal(server.seen.length, 1);
  });
  await withScripted([503, 201], [retry({ ...quick, idempotencyKey: true })], async (server, client) => {
    const response = await call(client, server.url, init);
    assert.equal(response.status, 201);
    await response.text();
    assert.deepEqual(server.seen.map((s) => [s.method, s.body, s.headers.get("idempotency-key")]), [
      ["POST", "order-1", "k-1"],
      ["POST", "order-1", "k-1"],
    ]);
  });
});

bothLanes(
  "retry: a not-sent failure is retried for any method (a POST reaches a late server once)",
  async ({ call }) => {
    const server = await delayedStart(300);
    await using client = Client.make({ plugins: [retry({ limit: 8, backoff: Schedule.spaced("100 millis") })] });
    try {
      const response = await call(client, server.url, { method: "POST", body: "once" });
      assert.equal(await response.text(), "ok");
      assert.equal(server.requests, 1);
      assert.ok(retryInfo(response).retries.every((r) => r.error === "ConnectError"));
      assert.ok(retryInfo(response).attempts >= 2);
    } finally {
      await server.close();
    }
  },
);

bothLanes("retry: a maybe-sent failure is retried for GET but never for POST", async ({ call }) => {
  const server = await startFaultServer("closeBeforeResponse");
  await using client = Client.make({ plugins: [retry(quick)] });
  try {
    const post = await call(client, server.url, { method: "POST", body: "x" }).catch((e) => e);
    assert.ok(post instanceof RemoteProtocolError, String(post));
    assert.equal(retryInfo(post).stopped, "not-idempotent");
    assert.equal(server.requests, 1);
    const get = await call(client, server.url).catch((e) => e);
    assert.ok(get instanceof RemoteProtocolError, String(get));
    assert.equal(retryInfo(get).attempts, 3);
    assert.equal(server.requests, 4);
  } finally {
    await server.close();
  }
});

bothLanes("retry: a one-shot stream body is never sent again; the original response says why", async ({ call }) => {
  await withScripted([503, 200], [retry(quick)], async (server, client) => {
    const response = await call(client, server.url, streamInit("PUT", streamOf("a", "b", "c")));
    assert.equal(response.status, 503);
    await response.text();
    assert.equal(retryInfo(response).stopped, "body-not-replayable");
    assert.deepEqual(server.seen.map((s) => s.body), ["abc"]);
  });
});

bothLanes("retry: replayBuffer buffers a small stream so it is sent again whole", async ({ call }) => {
  await withScripted([503, 200], [retry({ ...quick, replayBuffer: 1024 })], async (server, client) => {
    const response = await call(client, server.url, streamInit("PUT", streamOf("a", "b", "c")));
    assert.equal(response.status, 200);
    await response.text();
    assert.deepEqual(server.seen.map((s) => s.body), ["abc", "abc"]);
  });
});

bothLanes("retry: a stream over replayBuffer is sent once, whole, and not retried", async ({ call }) => {
  await withScripted([503, 200], [retry({ ...quick, replayBuffer: 2 })], async (server, client) => {
    const response = await call(client, server.url, streamInit("PUT", streamOf("ab", "cd", "ef")));
    assert.equal(response.status, 503);
    await response.text();
    assert.equal(retryInfo(response).stopped, "body-not-replayable");
    assert.deepEqual(server.seen.map((s) => s.body), ["abcdef"]);
  });
});

bothLanes("retry: string, bytes and form bodies are sent again from their source", async ({ call }) => {
  const form = new FormData();
  form.set("field", "value");
  await withScripted([503, 200], [retry(quick)], async (server, client) => {
    for (const body of ["text", new TextEncoder().encode("bytes"), new URLSearchParams("a=1")]) {
      const response = await call(client, server.url, { method: "PUT", body });
      assert.equal(response.status, 200);
      await response.text();
    }
    const response = await call(client, server.url, { method: "PUT", body: form });
    assert.equal(response.status, 200, "a multipart body gets a fresh boundary and the header to match");
    await response.text();
  });
});

bothLanes("retry: Retry-After as an HTTP-date is honoured", async ({ call }) => {
  const soon = new Date(Date.now() + 1_000).toUTCString();
  await withScripted(
    [{ status: 429, headers: { "retry-after": soon } }, 200],
    [retry(quick)],
    async (server, client) => {
      const started = Date.now();
      const response = await call(client, server.url);
      assert.equal(response.status, 200);
      await response.text();
      const waited = retryInfo(response).retries[0]!;
      assert.ok(waited.retryAfterMs! > 0 && waited.retryAfterMs! <= 1_000, String(waited.retryAfterMs));
      assert.ok(Date.now() - started >= waited.delayMs - 5);
    },
  );
});

bothLanes("retry: a Retry-After over max is returned, clamped, or failed, as the policy says", async ({ call }) => {
  const busy = [{ status: 503, headers: { "retry-after": "120" } }, 200];
  await withScripted(busy, [retry({ ...quick, retryAfter: { max: 1_000 } })], async (server, client) => {
    const response = await call(client, server.url);
    assert.equal(response.status, 503);
    await response.text();
    assert.equal(retryInfo(response).stopped, "retry-after-too-long");
    assert.equal(server.seen.length, 1);
  });
  await withScripted(busy, [retry({ ...quick, retryAfter: { max: 30, policy: "clamp" } })], async (server, client) => {
    const response = await call(client, server.url);
    assert.equal(response.status, 200);
    await response.text();
    assert.equal(retryInfo(response).retries[0]!.delayMs, 30);
  });
  await withScripted(
    busy,
    [retry({ ...quick, retryAfter: { max: 1_000, policy: "fail" } })],
    async (server, client) => {
      const error = await call(client, server.url).catch((e) => e);
      assert.ok(error instanceof RetryAfterTooLong, String(error));
      assert.equal(error.status, 503);
      assert.equal(error.waitMs, 120_000);
      assert.equal(error.limit, "max");
      assert.match(error.message, /a 503 asked to wait 120000 ms; `retryAfter.max` is 1000 ms/);
    },
  );
});

bothLanes("retry: no wait goes past the budget", async ({ call }) => {
  await withScripted(
    [{ status: 503, headers: { "retry-after": "2" } }, 200],
    [retry({ ...quick, budget: 500 })],
    async (server, client) => {
      const started = Date.now();
      const response = await call(client, server.url);
      assert.equal(response.status, 503);
      await response.text();
      assert.equal(retryInfo(response).stopped, "budget");
      assert.ok(Date.now() - started < 500, "it gave up at once instead of waiting");
      assert.equal(server.seen.length, 1);
    },
  );
});

bothLanes("retry: a later attempt is cut at the budget", async ({ call }) => {
  let calls = 0;
  const app = HandlerTransport.make(async () => {
    if (++calls === 1) return new Response(null, { status: 503 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    return new Response("late");
  });
  await using client = Client.make({ transport: app, plugins: [retry({ ...quick, budget: 150, retryAfter: false })] });
  const error = await call(client, "http://app.test/").catch((e) => e);
  assert.equal(error?._tag, "ReadTimeout", String(error));
  assert.match(error.message, /retry budget of 150 ms ran out/);
  await new Promise((resolve) => setTimeout(resolve, 400)); // let the app's timer end (Deno's sanitizer)
});

bothLanes("retry: any Schedule drives the waits and may end the retries", async ({ call }) => {
  const seen: Array<string> = [];
  const schedule = Schedule.spaced("5 millis").pipe(
    Schedule.upTo({ times: 1 }),
    Schedule.setInputType<RetryOutcome>(),
    Schedule.tap(({ input }) =>
      Effect.sync(() => void seen.push(input instanceof Response ? String(input.status) : input._tag))
    ),
  );
  await withScripted([502], [retry({ backoff: schedule, limit: 5 })], async (server, client) => {
    const response = await call(client, server.url);
    assert.equal(response.status, 502);
    await response.text();
    assert.equal(retryInfo(response).stopped, "schedule-done");
    assert.equal(retryInfo(response).attempts, 2);
    assert.deepEqual(seen, ["502"]);
  });
});

bothLanes("retry: statuses and errors not listed are handed back at once", async ({ call }) => {
  await withScripted([404, 200], [retry(quick)], async (server, client) => {
    const response = await call(client, server.url);
    assert.equal(response.status, 404);
    await response.text();
    assert.deepEqual(retryInfo(response), { attempts: 1, retries: [] });
  });
  const refused = await refusedPort();
  await using client = Client.make({ plugins: [retry({ ...quick, errors: ["ReadError"] })] });
  const error = await call(client, refused.url).catch((e) => e);
  assert.ok(error instanceof ConnectError);
  assert.equal(retryInfo(error).attempts, 1);
});

test("retry: TestClock drives the waits on the Effect lane", async () => {
  const { TestClock } = await import("effect/testing");
  let calls = 0;
  const inner = Transport.make({
    handle: () => Effect.sync(() => ++calls < 3 ? new Response(null, { status: 503 }) : new Response("ok")),
  });
  const t = retry({ backoff: Schedule.exponential("1 second") })(inner);
  const program = Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(t.handle(new Request("http://x.test/")));
    yield* TestClock.adjust("999 millis");
    const early = calls;
    yield* TestClock.adjust("1 millis");
    const afterFirst = calls;
    yield* TestClock.adjust("2 seconds");
    const response = yield* Fiber.join(fiber);
    return { early, afterFirst, status: response.status };
  }).pipe(Effect.provide(TestClock.layer()));
  const out = await Effect.runPromise(program as Effect.Effect<{ early: number; afterFirst: number; status: number }>);
  assert.deepEqual(out, { early: 1, afterFirst: 2, status: 200 });
});

test("retry: bad options are refused at construction, naming the option", () => {
  for (
    const [options, option] of [
      [{ limit: -1 }, "retry.limit"],
      [{ statuses: [42] }, "retry.statuses[0]"],
      [{ errors: ["Nope"] }, "retry.errors[0]"],
      [{ retryAfter: { policy: "wait" } }, "retry.retryAfter.policy"],
      [{ idempotencyKey: "bad header" }, "retry.idempotencyKey"],
      [{ tries: 3 }, "retry.tries"],
    ] as const
  ) {
    assert.throws(
      () => retry(options as never),
      (e: unknown) => e instanceof InvalidOptions && e.option === option,
      option,
    );
  }
});

test("retry: client.explain names it", () => {
  const client = Client.make({ transport: HandlerTransport.make(() => new Response()), plugins: [retry()] });
  assert.deepEqual(client.explain("http://app.test/").plugins, ["retry"]);
});
