/**
 * `faults`: each fault against a real server, rules by method / mount key /
 * probability / times, the same fault sequence from the same seed (and on
 * both lanes), and waiting on TestClock with no real time passing.
 */
import assert from "node:assert/strict";
import { Effect, Fiber } from "effect";
import { TestClock } from "effect/testing";
import { Client, ConnectError, HttpTransport, InvalidOptions, MockTransport, ReadError } from "../mod.ts";
import { type FaultRule, faults } from "../testing.ts";
import { withServer } from "./fixtures/server.ts";
import { test } from "./harness.ts";
import { bothLanes, type Lanes } from "./lanes.ts";

const BODY = "0123456789".repeat(10);

/** Runs `fn` with a client through `rules` to a loopback server that counts what reaches it. */
const withFaults = async (
  rules: ReadonlyArray<FaultRule>,
  fn: (client: Client, server: { url: string; hits: () => number }) => Promise<void>,
): Promise<void> => {
  let hits = 0;
  await withServer(
    () => (hits++, new Response(BODY, { headers: { "content-type": "text/plain" } })),
    async (server) => {
      const client = Client.make({ transport: HttpTransport.make(), plugins: [faults(rules, { seed: 1 })] });
      try {
        await fn(client, { url: server.url, hits: () => hits });
      } finally {
        await Effect.runPromise(client.close());
      }
    },
  );
};

/** Reads `response`'s body chunk by chunk: the bytes that came, and how it ended. */
const drain = async (response: Response): Promise<{ bytes: number; error?: unknown }> => {
  const reader = response.body!.getReader();
  let bytes = 0;
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) bytes += r.value.byteLength;
    return { bytes };
  } catch (error) {
    return { bytes, error };
  }
};

bothLanes("faults: refuse fails with a ConnectError, and nothing reaches the server", async ({ call }) => {
  await withFaults([{ fault: "refuse" }], async (client, server) => {
    const error = await call(client, `${server.url}/`).catch((e) => e);
    assert.ok(error instanceof ConnectError);
    assert.match(error.message, /connection refused, injected by faults \(rules\[0\]\)\)\. The request was never sent/);
    assert.equal(server.hits(), 0);
  });
});

bothLanes("faults: status answers with the chosen status and headers without sending", async ({ call }) => {
  await withFaults([{ fault: "status", status: 503, headers: { "retry-after": "2" }, body: "busy" }], async (c, s) => {
    const response = await call(c, `${s.url}/`);
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("retry-after"), "2");
    assert.equal(await response.text(), "busy");
    assert.equal(s.hits(), 0);
  });
});

bothLanes("faults: reset fails the body with a ReadError after exactly afterBytes", async ({ call }) => {
  await withFaults([{ fault: "reset", afterBytes: 37 }], async (client, server) => {
    const response = await call(client, `${server.url}/`);
    assert.equal(response.status, 200);
    const { bytes, error } = await drain(response);
    assert.equal(bytes, 37);
    assert.ok(error instanceof ReadError, String(error));
    assert.match(error.message, /connection reset after 37 bytes, injected by faults/);
    assert.equal(server.hits(), 1, "a reset happens after the request was sent");
  });
});

bothLanes("faults: truncate ends the body cleanly after afterBytes, without content-length", async ({ call }) => {
  await withFaults([{ fault: "truncate", afterBytes: 10 }], async (client, server) => {
    const response = await call(client, `${server.url}/`);
    assert.equal(response.headers.get("content-length"), null);
    assert.equal(await response.text(), "0123456789");
  });
});

bothLanes("faults: stall stops the body after afterBytes until the reader gives up", async ({ call }) => {
  await withFaults([{ fault: "stall", afterBytes: 5 }], async (client, server) => {
    const response = await call(client, `${server.url}/`);
    const reader = response.body!.getReader();
    let got = "";
    while (got.length < 5) got += new TextDecoder().decode((await reader.read()).value);
    assert.equal(got, "01234");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = await Promise.race([
      reader.read().then(() => "more bytes"),
      new Promise((resolve) => (timer = setTimeout(() => resolve("stalled"), 150))),
    ]);
    clearTimeout(timer);
    assert.equal(next, "stalled");
    await reader.cancel();
  });
});

bothLanes("faults: a timed stall resumes after ms; latency with jitter waits ms ± jitter", async ({ call }) => {
  await withFaults(
    [{ fault: "latency", ms: 60, jitter: 10 }, { fault: "stall", afterBytes: 50, ms: 60 }],
    async (c, s) => {
      const started = performance.now();
      const response = await call(c, `${s.url}/`);
      const headers = performance.now() - started;
      assert.ok(headers >= 45, `headers after ${headers} ms`);
      assert.equal(await response.text(), BODY);
      assert.ok(performance.now() - started >= headers + 50, "the stall held the body");
    },
  );
});

test("faults: latency and a timed stall run on Effect's Clock: TestClock drives them, no real waiting", async () => {
  const mock = MockTransport.make(() => new Response(BODY));
  const client = Client.make({
    transport: mock,
    plugins: [faults([{ fault: "latency", ms: 60_000 }, { fault: "stall", afterBytes: 10, ms: 120_000 }], { seed: 3 })],
  });
  const program = Effect.gen(function* () {
    const sending = yield* Effect.forkChild(client.get("http://api.test/"));
    yield* TestClock.adjust("59 seconds");
    assert.equal(sending.pollUnsafe(), undefined, "the latency is not over after 59 virtual seconds");
    assert.equal(mock.calls.length, 0, "nothing was sent while waiting");
    yield* TestClock.adjust("1 second");
    const response = yield* Fiber.join(sending);
    const reading = yield* Effect.forkChild(Effect.promise(() => response.text()));
    yield* TestClock.adjust("119 seconds");
    assert.equal(reading.pollUnsafe(), undefined, "the body is still stalled");
    yield* TestClock.adjust("1 second");
    return yield* Fiber.join(reading);
  });
  const started = performance.now();
  assert.equal(await Effect.runPromise(program.pipe(Effect.provide(TestClock.layer()))), BODY);
  assert.ok(performance.now() - started < 5_000, "three virtual minutes took no real time");
  await Effect.runPromise(client.close());
});

/** 60 requests through probabilistic rules: what each got, and the plugin's history. */
const sequence = async (lanes: Lanes, seed: number) => {
  const chaos = faults([
    { fault: "refuse", probability: 0.2 },
    { fault: "status", status: 503, probability: 0.2, method: "GET" },
    { fault: "truncate", afterBytes: 3, probability: 0.3 },
  ], { seed });
  const client = Client.make({ transport: MockTransport.make(() => new Response("abcdef")), plugins: [chaos] });
  const outcomes: Array<string> = [];
  for (let i = 0; i < 60; i++) {
    const method = i % 3 === 0 ? "POST" : "GET";
    const result = await lanes.call(client, `http://api.test/${i}`, { method }).then(
      async (r) => `${r.status} ${await r.text()}`,
      (e) => e._tag,
    );
    outcomes.push(result);
  }
  return { outcomes, history: chaos.history.map((e) => `${e.request} ${e.method} ${e.fault} rules[${e.rule}]`) };
};

bothLanes("faults: the same seed replays the same fault sequence; another seed gives another", async (lanes) => {
  const first = await sequence(lanes, 42);
  const again = await sequence(lanes, 42);
  const other = await sequence(lanes, 43);
  assert.deepEqual(again, first);
  assert.notDeepEqual(other.outcomes, first.outcomes);
  const kinds = new Set(first.outcomes.map((o) => o.split(" ")[0]));
  assert.deepEqual([...kinds].sort(), ["200", "503", "ConnectError"], "all three faults fired, and some passed");
  assert.ok(first.outcomes.includes("200 abc"), "a truncated body");
  assert.ok(first.outcomes.includes("200 abcdef"), "an untouched one");
});

test("faults: both lanes draw the same faults from the same seed", async () => {
  const effectLane: Lanes = {
    lane: "effect",
    send: () => Promise.reject(new Error("unused")),
    call: (client, input, init) => Effect.runPromise(client.request(init?.method ?? "GET", input as string, init)),
  };
  const promiseLane: Lanes = {
    lane: "promise",
    send: () => Promise.reject(new Error("unused")),
    call: (client, input, init) => client.fetch(input, init),
  };
  assert.deepEqual(await sequence(effectLane, 7), await sequence(promiseLane, 7));
});

bothLanes("faults: rules pick requests by method, mount key and times; others pass untouched", async ({ call }) => {
  const chaos = faults([
    { fault: "status", status: 500, method: ["delete"] },
    { fault: "status", status: 502, url: ["all://*.flaky.test", "https://api.test/v2"] },
    { fault: "refuse", url: "all://once.test", times: 1 },
  ], { seed: 5 });
  const client = Client.make({ transport: MockTransport.make(() => new Response("ok")), plugins: [chaos] });
  const status = async (
    url: string,
    method = "GET",
  ) => (await call(client, url, { method }).then((r) => r.status, (e) => e._tag));
  assert.equal(await status("http://api.test/x", "DELETE"), 500);
  assert.equal(await status("http://a.flaky.test/"), 502);
  assert.equal(await status("http://flaky.test/"), 200, "*.flaky.test is strict subdomains");
  assert.equal(await status("https://api.test/v2/users"), 502);
  assert.equal(await status("https://api.test/v20"), 200, "a path key never matches a longer segment");
  assert.equal(await status("http://once.test/"), "ConnectError");
  assert.equal(await status("http://once.test/"), 200, "times: 1");
  assert.deepEqual(chaos.history.map((e) => [e.request, e.fault]), [
    [0, "status 500"],
    [1, "status 502"],
    [3, "status 502"],
    [5, "refuse"],
  ]);
  assert.equal(chaos.seed, 5);
});

test("faults: a random seed is chosen and shown when none is given", () => {
  const chaos = faults([]);
  assert.ok(Number.isInteger(chaos.seed) && chaos.seed >= 0);
});

test("faults: a bad rule is an InvalidOptions naming it", () => {
  const refused = (rules: unknown, option: string) =>
    assert.throws(
      () => faults(rules as never),
      (e: unknown) => e instanceof InvalidOptions && e.option === option,
      option,
    );
  refused({}, "rules");
  refused([{ fault: "explode" }], "rules[0].fault");
  refused([{ fault: "latency" }], "rules[0].ms");
  refused([{ fault: "refuse" }, { fault: "reset", afterBytes: -1 }], "rules[1].afterBytes");
  refused([{ fault: "status", status: 99 }], "rules[0].status");
  refused([{ fault: "refuse", probability: 2 }], "rules[0].probability");
  refused([{ fault: "refuse", times: 0 }], "rules[0].times");
  refused([{ fault: "refuse", url: ["all://ok.test", "http"] }], "rules[0].url[1]");
  refused([{ fault: "refuse", method: [1] }], "rules[0].method");
  assert.throws(() => faults([], { seed: 1.5 }), InvalidOptions);
});
