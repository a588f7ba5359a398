/**
 * `circuitBreaker` on both lanes, against loopback servers: tripping
 * (consecutive and rate), refusing without sending, one probe, reopening for
 * longer, what counts, per-origin circuits, Retry-After, state shared by the
 * two lanes, and working with `retry`.
 */
import assert from "node:assert/strict";
import { Effect, Schedule } from "effect";
import {
  circuitBreaker,
  CircuitOpen,
  Client,
  ConnectError,
  HandlerTransport,
  InvalidOptions,
  isNotSent,
  retry,
  retryInfo,
} from "../mod.ts";
import { refusedPort } from "./fixtures/faults.ts";
import { test } from "./harness.ts";
import { bothLanes } from "./lanes.ts";
import { type Answer, scripted, withScripted } from "./resilience_helpers.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const drain = async (response: Response) => (await response.text(), response.status);

bothLanes("circuitBreaker: trips after consecutive failures and refuses without sending", async ({ call }) => {
  const breaker = circuitBreaker({ trip: { consecutive: 3 }, openFor: 60_000 });
  await withScripted([503], [breaker], async (server, client) => {
    for (let i = 0; i < 3; i++) assert.equal(await drain(await call(client, `${server.url}/x`)), 503);
    const refused = await call(client, `${server.url}/x`).catch((e) => e);
    assert.ok(refused instanceof CircuitOpen, String(refused));
    assert.ok(isNotSent(refused));
    assert.ok(refused instanceof TypeError, "a transport error, as fetch's network error");
    assert.equal(refused.key, server.url);
    assert.equal(refused.state, "open");
    assert.ok(refused.retryAfterMs! > 59_000);
    assert.match(refused.message, /after 3 consecutive failures/);
    assert.equal(server.seen.length, 3, "the refused call never reached the server");
    const state = breaker.state(server.url);
    assert.equal(state.state, "open");
    assert.equal(state.trips, 1);
  });
});

bothLanes("circuitBreaker: after the open time one probe passes; its success closes the circuit", async ({ call }) => {
  const breaker = circuitBreaker({ trip: { consecutive: 1 }, openFor: 80 });
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let calls = 0;
  const app = HandlerTransport.make(async () => {
    if (++calls === 1) return new Response(null, { status: 500 });
    await gate; // the probe waits here while a second call arrives
    return new Response("ok");
  });
  await using client = Client.make({ transport: app, plugins: [breaker] });
  assert.equal(await drain(await call(client, "http://app.test/")), 500);
  await sleep(100);
  const probe = call(client, "http://app.test/");
  await sleep(10);
  const second = await call(client, "http://app.test/").catch((e) => e);
  assert.ok(second instanceof CircuitOpen && second.state === "half-open", String(second));
  assert.equal(second.retryAfterMs, undefined, "no time to give while the probe is in flight");
  release();
  assert.equal(await drain(await probe), 200);
  assert.equal(breaker.state("http://app.test").state, "closed");
  assert.equal(await drain(await call(client, "http://app.test/")), 200);
  assert.equal(calls, 3);
});

bothLanes("circuitBreaker: a failed probe reopens it for the schedule's next, longer time", async ({ call }) => {
  const breaker = circuitBreaker({ trip: { consecutive: 1 }, openFor: Schedule.exponential("40 millis") });
  await withScripted([502], [breaker], async (server, client) => {
    const t0 = Date.now();
    await drain(await call(client, server.url));
    const firstOpen = breaker.state(server.url).opensProbeAt! - t0;
    assert.ok(firstOpen >= 40 && firstOpen <= 40 + (Date.now() - t0), String(firstOpen));
    await sleep(60);
    assert.equal(await drain(await call(client, server.url)), 502, "the probe went through");
    const second = breaker.state(server.url);
    assert.equal(second.state, "open");
    assert.equal(second.trips, 2);
    assert.equal(second.reason, "a failed probe");
    const secondOpen = second.opensProbeAt! - Date.now();
    assert.ok(secondOpen > 50 && secondOpen <= 80, `the second opening lasts 80 ms (${secondOpen} left)`);
    assert.equal(server.seen.length, 2);
  });
});

bothLanes("circuitBreaker: 429 is ignored and other statuses are successes", async ({ call }) => {
  const breaker = circuitBreaker({ trip: { consecutive: 2 }, openFor: 60_000 });
  const script: Answer[] = [500, 429, 429, 404, 500, 429, 200, 500];
  await withScripted(script, [breaker], async (server, client) => {
    for (let i = 0; i < script.length; i++) await drain(await call(client, server.url));
    assert.equal(breaker.state(server.url).state, "closed", "no two failures in a row once 429s are ignored");
    assert.equal(breaker.state(server.url).consecutiveFailures, 1);
  });
});

bothLanes("circuitBreaker: transport errors count as failures", async ({ call }) => {
  const refused = await refusedPort();
  const breaker = circuitBreaker({ trip: { consecutive: 2 }, openFor: 60_000 });
  await using client = Client.make({ plugins: [breaker] });
  for (let i = 0; i < 2; i++) assert.ok((await call(client, refused.url).catch((e) => e)) instanceof ConnectError);
  assert.ok((await call(client, refused.url).catch((e) => e)) instanceof CircuitOpen);
});

bothLanes(
  "circuitBreaker: a failure rate over a window trips once the minimum number of calls is reached",
  async ({ call }) => {
    const breaker = circuitBreaker({ trip: { rate: 0.5, window: 10, minimumCalls: 6 }, openFor: 60_000 });
    await withScripted([500, 200, 500, 200, 500, 200, 500], [breaker], async (server, client) => {
      for (let i = 0; i < 5; i++) await drain(await call(client, server.url));
      assert.equal(breaker.state(server.url).state, "closed", "3 failures of 5 calls: under the minimum");
      assert.deepEqual(breaker.state(server.url).window, { calls: 5, failures: 3 });
      await drain(await call(client, server.url)); // 6 calls, 3 failures: 50%, but this one succeeded
      assert.equal(breaker.state(server.url).state, "closed");
      await drain(await call(client, server.url)); // 7 calls, 4 failures
      const state = breaker.state(server.url);
      assert.equal(state.state, "open");
      assert.match(state.reason!, /failure rate of 57% over 7 calls/);
    });
  },
);

bothLanes("circuitBreaker: a failure's Retry-After keeps it open that long, up to maxOpenMs", async ({ call }) => {
  const breaker = circuitBreaker({ trip: { consecutive: 1 }, openFor: 10, maxOpenMs: 5_000 });
  await withScripted([{ status: 503, headers: { "retry-after": "3600" } }], [breaker], async (server, client) => {
    const before = Date.now();
    await drain(await call(client, server.url));
    const until = breaker.state(server.url).opensProbeAt!;
    assert.ok(until - before >= 4_900 && until - before <= 5_100, String(until - before));
  });
});

bothLanes("circuitBreaker: circuits are per origin by default, or per key", async ({ call }) => {
  const bad = scripted([503]);
  const good = scripted([200]);
  try {
    const breaker = circuitBreaker({ trip: { consecutive: 1 }, openFor: 60_000 });
    await using client = Client.make({ plugins: [breaker] });
    await drain(await call(client, bad.url));
    assert.ok((await call(client, `${bad.url}/other/path`).catch((e) => e)) instanceof CircuitOpen);
    assert.equal(await drain(await call(client, good.url)), 200);
    const shared = circuitBreaker({ trip: { consecutive: 1 }, openFor: 60_000, key: () => "everything" });
    await using together = Client.make({ plugins: [shared] });
    await drain(await call(together, bad.url));
    const refused = await call(together, good.url).catch((e) => e);
    assert.ok(refused instanceof CircuitOpen && refused.key === "everything");
    assert.deepEqual(shared.states().map((s) => s.key), ["everything"]);
  } finally {
    await bad.close();
    await good.close();
  }
});

bothLanes("circuitBreaker: a cancelled probe frees the slot for the next call", async ({ call, lane }) => {
  const breaker = circuitBreaker({ trip: { consecutive: 1 }, openFor: 30 });
  let calls = 0;
  const app = HandlerTransport.make((request) => {
    if (++calls === 1) return new Response(null, { status: 500 });
    if (calls === 2) {
      // Hangs until cancelled (an abort on the Promise lane, an interruption on the Effect lane).
      return new Promise<Response>((resolve) => {
        const timer = setTimeout(() => resolve(new Response("too late")), 1_000);
        request.signal.addEventListener("abort", () => (clearTimeout(timer), resolve(new Response("aborted"))));
      });
    }
    return new Response("ok");
  });
  await using client = Client.make({ transport: app, plugins: [breaker] });
  await drain(await call(client, "http://app.test/"));
  await sleep(50);
  if (lane === "promise") {
    const controller = new AbortController();
    const probe = call(client, "http://app.test/", { signal: controller.signal }).catch((e) => e);
    await sleep(10);
    controller.abort(new Error("caller gave up"));
    assert.equal((await probe).message, "caller gave up");
  } else {
    const cut = await Effect.runPromise(
      Effect.timeoutOrElse(client.get("http://app.test/"), { duration: 10, orElse: () => Effect.succeed("cut") }),
    );
    assert.equal(cut, "cut");
  }
  assert.equal(breaker.state("http://app.test").state, "half-open");
  assert.equal(await drain(await call(client, "http://app.test/")), 200, "the next call is the probe");
  assert.equal(breaker.state("http://app.test").state, "closed");
});

test("circuitBreaker: both lanes share the circuits", async () => {
  const breaker = circuitBreaker({ trip: { consecutive: 2 }, openFor: 60_000 });
  await withScripted([500], [breaker], async (server, client) => {
    await drain(await client.fetch(server.url));
    await drain(await Effect.runPromise(client.get(server.url)));
    assert.ok((await client.fetch(server.url).catch((e) => e)) instanceof CircuitOpen);
    const viaEffect = await Effect.runPromise(Effect.flip(client.get(server.url)));
    assert.ok(viaEffect instanceof CircuitOpen);
    assert.equal(server.seen.length, 2);
  });
});

bothLanes("circuitBreaker: inside retry, an open circuit's time is waited out when short enough", async ({ call }) => {
  const breaker = circuitBreaker({ trip: { consecutive: 1 }, openFor: 60 });
  await withScripted(
    [503, 200],
    [retry({ backoff: { baseMs: 1, maxMs: 2 }, retryAfter: { max: 1_000 } }), breaker],
    async (server, client) => {
      const response = await call(client, server.url);
      assert.equal(await drain(response), 200);
      const info = retryInfo(response);
      assert.deepEqual(info.retries.map((r) => r.reason), ["status 503", "CircuitOpen"]);
      assert.ok(info.retries[1]!.delayMs >= 40, "it waited for the probe time");
      assert.equal(server.seen.length, 2);
    },
  );
});

test("circuitBreaker: bad options are refused at construction, naming the option", () => {
  for (
    const [options, option] of [
      [{ trip: { consecutive: 0 } }, "circuitBreaker.trip"],
      [{ trip: { rate: 2 } }, "circuitBreaker.trip"],
      [{ openFor: -1 }, "circuitBreaker.openFor"],
      [{ key: "origin" }, "circuitBreaker.key"],
      [{ threshold: 3 }, "circuitBreaker.threshold"],
    ] as const
  ) {
    assert.throws(
      () => circuitBreaker(options as never),
      (e: unknown) => e instanceof InvalidOptions && e.option === option,
      option,
    );
  }
});

test("circuitBreaker: an unseen key reads as closed without being created", () => {
  const breaker = circuitBreaker();
  assert.equal(breaker.state("http://never.test").state, "closed");
  assert.deepEqual(breaker.states(), []);
  const client = Client.make({ transport: HandlerTransport.make(() => new Response()), plugins: [breaker] });
  assert.deepEqual(client.explain("http://app.test/").plugins, ["circuitBreaker"]);
});

bothLanes(
  "circuitBreaker: the per-origin key leaves userinfo out, so no password reaches CircuitOpen",
  async ({ call }) => {
    const breaker = circuitBreaker({ trip: { consecutive: 1 }, openFor: 60_000 });
    await withScripted([503], [breaker], async (server, client) => {
      const withUser = server.url.replace("http://", "http://ada:s3cret@");
      assert.equal(await drain(await call(client, `${withUser}/x`)), 503);
      const refused = await call(client, `${withUser}/x`).catch((e) => e);
      assert.ok(refused instanceof CircuitOpen, String(refused));
      assert.equal(refused.key, server.url, "the origin, without ada:s3cret@");
      assert.ok(!/s3cret/.test(refused.message) && !/s3cret/.test(JSON.stringify(refused)), refused.message);
      // Other credentials for the same origin share its circuit.
      assert.ok((await call(client, `${server.url}/x`).catch((e) => e)) instanceof CircuitOpen);
    });
  },
);
