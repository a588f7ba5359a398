/**
 * `balance` on both lanes: strategies (round-robin, weighted, least in
 * flight) across real loopback servers, failover of not-sent failures only
 * (and never of a maybe-sent one), ejection, probing and its backoff,
 * `NoHealthyUpstream`, circuits per upstream, proxy round-robin through real
 * forward proxies, and closing every upstream once.
 */
import assert from "node:assert/strict";
import { Effect, Schedule } from "effect";
import {
  balance,
  circuitBreaker,
  Client,
  ConnectError,
  HandlerTransport,
  HttpTransport,
  InvalidOptions,
  NoHealthyUpstream,
  RemoteProtocolError,
  Transport,
} from "../mod.ts";
import { refusedPort, startFaultServer } from "./fixtures/faults.ts";
import { startProxy } from "./fixtures/proxy.ts";
import { test } from "./harness.ts";
import { bothLanes } from "./lanes.ts";
import { scripted, type ScriptedServer, streamInit, streamOf } from "./resilience_helpers.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `n` scripted loopback servers answering 200, closed after `fn`. */
const withServers = async (n: number, fn: (servers: ScriptedServer[]) => Promise<void>): Promise<void> => {
  const servers = Array.from({ length: n }, () => scripted([200]));
  try {
    await fn(servers);
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
};

/** A transport that refuses every request as never sent, counting them. */
const refusing = () => {
  let calls = 0;
  const transport = Transport.make({
    kind: "refusing",
    handle: (request) => Effect.suspend(() => (calls++, Effect.fail(new ConnectError(request, { detail: "refused" })))),
  });
  return { transport, calls: () => calls };
};

/** An upstream aimed at `server`'s origin, on its own HttpTransport unless one is given. */
const to = (server: ScriptedServer, transport: Transport = HttpTransport.make()) => ({ transport, origin: server.url });

bothLanes("balance: round-robin by default, over real servers (one HttpTransport, three origins)", async ({ call }) => {
  await withServers(3, async (servers) => {
    const http = HttpTransport.make();
    await using client = Client.make({ transport: balance(servers.map((s) => to(s, http))) });
    for (let i = 0; i < 6; i++) await (await call(client, "http://pool.test/")).text();
    assert.deepEqual(servers.map((s) => s.seen.length), [2, 2, 2]);
  });
});

bothLanes("balance: weights share requests out evenly in proportion", async ({ call }) => {
  await withServers(2, async ([a, b]) => {
    await using client = Client.make({ transport: balance([{ ...to(a!), weight: 3 }, to(b!)]) });
    const order: string[] = [];
    for (let i = 0; i < 8; i++) {
      const before = a!.seen.length;
      await (await call(client, "http://pool.test/")).text();
      order.push(a!.seen.length > before ? "a" : "b");
    }
    assert.deepEqual([a!.seen.length, b!.seen.length], [6, 2]);
    assert.equal(order.join(""), "aabaaaba", "smooth: never all of a's share in a row");
  });
});

bothLanes("balance: least-in-flight sends to the upstream with fewer open requests", async ({ call }) => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const slow = HandlerTransport.make(async () => (await held, new Response("slow")));
  const fast = HandlerTransport.make(() => new Response("fast"));
  const lb = balance([slow, fast], { strategy: "least-in-flight" });
  await using client = Client.make({ transport: lb });
  const first = call(client, "http://pool.test/");
  assert.equal(await (await call(client, "http://pool.test/")).text(), "fast");
  assert.equal(await (await call(client, "http://pool.test/")).text(), "fast", "round-robin would have picked slow");
  assert.equal(lb.upstreams()[0]!.inFlight, 1);
  release();
  assert.equal(await (await first).text(), "slow");
  assert.equal(lb.upstreams()[0]!.inFlight, 0);
});

bothLanes("balance: a not-sent failure fails over, body intact; the upstream is ejected", async ({ call }) => {
  const dead = refusing();
  await withServers(1, async ([live]) => {
    const lb = balance([dead.transport, to(live!)], { eject: { coolDown: 60_000 } });
    await using client = Client.make({ transport: lb });
    for (let i = 0; i < 4; i++) {
      const response = await call(client, "http://pool.test/", { method: "POST", body: `order ${i}` });
      assert.equal(response.status, 200);
      await response.text();
    }
    assert.deepEqual(live!.seen.map((s) => s.body), ["order 0", "order 1", "order 2", "order 3"]);
    assert.equal(dead.calls(), 1, "ejected after its first refusal, not tried again while cooling down");
    const [state] = lb.upstreams();
    assert.equal(state!.ejected, true);
    assert.equal(state!.ejections, 1);
  });
});

bothLanes("balance: a one-shot stream fails over only while nothing has read it", async ({ call }) => {
  const dead = refusing();
  await withServers(1, async ([live]) => {
    await using client = Client.make({ transport: balance([dead.transport, to(live!)]) });
    const response = await call(client, "http://pool.test/", streamInit("PUT", streamOf("x", "y")));
    assert.equal(response.status, 200);
    await response.text();
    assert.deepEqual(live!.seen.map((s) => s.body), ["xy"]);
  });
});

bothLanes("balance: a maybe-sent failure is never failed over", async ({ call }) => {
  const broken = await startFaultServer("closeBeforeResponse");
  await withServers(1, async ([live]) => {
    const lb = balance([{ transport: HttpTransport.make(), origin: broken.url }, to(live!)]);
    await using client = Client.make({ transport: lb });
    const error = await call(client, "http://pool.test/", { method: "POST", body: "charge" }).catch((e) => e);
    assert.ok(error instanceof RemoteProtocolError, String(error));
    assert.equal(broken.requests, 1);
    assert.equal(live!.seen.length, 0, "the request may have been processed: it is not sent elsewhere");
    assert.equal(lb.upstreams()[0]!.ejected, false, "it connected: not ejected");
  });
  await broken.close();
});

bothLanes("balance: with every upstream ejected, NoHealthyUpstream says when to come back", async ({ call }) => {
  const a = refusing();
  const b = refusing();
  await using client = Client.make({ transport: balance([a.transport, b.transport], { eject: { coolDown: 5_000 } }) });
  const first = await call(client, "http://pool.test/").catch((e) => e);
  assert.ok(first instanceof ConnectError, "when both fail in one call, the last real failure comes back");
  const second = await call(client, "http://pool.test/").catch((e) => e);
  assert.ok(second instanceof NoHealthyUpstream, String(second));
  assert.equal(second.upstreams, 2);
  assert.ok(second.retryAfterMs > 4_000 && second.retryAfterMs <= 5_000);
  assert.match(second.message, /all 2 upstreams are ejected/);
  assert.deepEqual([a.calls(), b.calls()], [1, 1]);
});

bothLanes(
  "balance: after its cool-down an ejected upstream is probed; cool-downs grow while it fails",
  async ({ call }) => {
    let up = false;
    let calls = 0;
    const flaky = Transport.make({
      handle: (request) =>
        Effect.suspend(() => {
          calls++;
          return up ? Effect.succeed(new Response("back")) : Effect.fail(new ConnectError(request));
        }),
    });
    const lb = balance([flaky], { eject: { coolDown: Schedule.exponential("30 millis") } });
    await using client = Client.make({ transport: lb });
    assert.ok((await call(client, "http://pool.test/").catch((e) => e)) instanceof ConnectError);
    assert.ok((await call(client, "http://pool.test/").catch((e) => e)) instanceof NoHealthyUpstream);
    await sleep(40);
    assert.ok((await call(client, "http://pool.test/").catch((e) => e)) instanceof ConnectError, "the probe");
    assert.equal(lb.upstreams()[0]!.ejections, 2);
    assert.ok(lb.upstreams()[0]!.probeAt! - Date.now() > 35, "the second cool-down is longer (60 ms)");
    up = true;
    await sleep(70);
    assert.equal(await (await call(client, "http://pool.test/")).text(), "back");
    assert.deepEqual(lb.upstreams()[0], {
      name: "upstream 0",
      weight: 1,
      inFlight: 0,
      ejected: false,
      failures: 0,
      ejections: 0,
    });
    assert.equal(calls, 3);
  },
);

bothLanes("balance: an open circuit on an upstream fails over like a refused connect", async ({ call }) => {
  await withServers(1, async ([live]) => {
    const sick = scripted([503]);
    try {
      const breaker = circuitBreaker({ trip: { consecutive: 1 }, openFor: 60_000 });
      const guarded = Transport.compose(HttpTransport.make(), [breaker]);
      const lb = balance([{ transport: guarded, origin: sick.url }, to(live!)]);
      await using client = Client.make({ transport: lb });
      const status = async () => {
        const response = await call(client, "http://pool.test/");
        await response.text();
        return response.status;
      };
      assert.equal(await status(), 503, "a response is never failed over");
      for (let i = 0; i < 3; i++) assert.equal(await status(), 200);
      assert.equal(sick.seen.length, 1);
      assert.equal(live!.seen.length, 3);
      assert.equal(lb.upstreams()[0]!.ejected, true);
      assert.ok(lb.upstreams()[0]!.probeAt! - Date.now() > 50_000, "ejected for as long as the circuit stays open");
    } finally {
      await sick.close();
    }
  });
});

bothLanes(
  "balance: HTTPX's ProxyRoundRobin, through real forward proxies, failing over a dead one",
  async ({ call }) => {
    const origin = scripted([200]);
    const a = await startProxy();
    const b = await startProxy();
    const dead = await refusedPort();
    try {
      const proxies = [a.url, dead.url, b.url];
      const lb = balance(proxies.map((proxy) => HttpTransport.make({ proxy })));
      await using client = Client.make({ transport: lb, trustEnv: false });
      for (let i = 0; i < 4; i++) assert.equal(await (await call(client, `${origin.url}/p`)).text(), `answer ${i + 1}`);
      assert.deepEqual([a.requests.length, b.requests.length], [2, 2]);
      assert.equal(a.requests[0]!.target, `${origin.url}/p`);
      assert.equal(lb.upstreams()[1]!.ejected, true);
    } finally {
      await Promise.all([origin.close(), a.close(), b.close()]);
    }
  },
);

test("balance: close() closes every distinct upstream once", async () => {
  let closed = 0;
  const t = Transport.make({
    handle: () => Effect.succeed(new Response()),
    close: () => Effect.sync(() => void closed++),
  });
  const u = Transport.make({
    handle: () => Effect.succeed(new Response()),
    close: () => Effect.sync(() => void closed++),
  });
  const lb = balance([t, { transport: t, weight: 2 }, u]);
  await Effect.runPromise(lb.close());
  await Effect.runPromise(lb.close());
  assert.equal(closed, 2);
});

test("balance: explain names it as the transport; bad input is refused, naming it", () => {
  const client = Client.make({ transport: balance([HandlerTransport.make(() => new Response())]) });
  assert.equal(client.explain("http://pool.test/").transportKind, "balance");
  for (
    const [args, option] of [
      [[[]], "balance(upstreams)"],
      [[[{ transport: 1 }]], "balance(upstreams)[0]"],
      [[[{ transport: HandlerTransport.make(() => new Response()), weight: 0 }]], "balance(upstreams)[0].weight"],
      [
        [[{ transport: HandlerTransport.make(() => new Response()), origin: "http://x.test/api" }]],
        "balance(upstreams)[0].origin",
      ],
      [[[HandlerTransport.make(() => new Response())], { strategy: "random" }], "balance.strategy"],
      [[[HandlerTransport.make(() => new Response())], { eject: { after: 0 } }], "balance.eject.after"],
    ] as const
  ) {
    assert.throws(
      () => balance(...(args as unknown as Parameters<typeof balance>)),
      (e: unknown) => e instanceof InvalidOptions && e.option === option,
      option,
    );
  }
});
