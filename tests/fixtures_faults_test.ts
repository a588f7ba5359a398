/**
 * Self-tests for the fault servers (tests/fixtures/faults.ts): each misbehaviour
 * is seen by the runtime's own fetch, so the transport's tests can trust them.
 */
import assert from "node:assert/strict";
import { test } from "./harness.ts";
import { delayedStart, type FaultBehaviour, refusedPort, startFaultServer } from "./fixtures/faults.ts";
import { rejectsWith } from "./fixtures_helpers.ts";

const faultCases: ReadonlyArray<{ behaviour: FaultBehaviour; phase: "fetch" | "body"; timeout?: boolean }> = [
  { behaviour: "closeBeforeResponse", phase: "fetch" },
  { behaviour: "closeMidBody", phase: "body" },
  { behaviour: "closeMidChunked", phase: "body" },
  { behaviour: "stallHeaders", phase: "fetch", timeout: true },
  { behaviour: "stallBody", phase: "body", timeout: true },
  { behaviour: "garbage", phase: "fetch" },
  { behaviour: "reset", phase: "fetch" },
];

for (const { behaviour, phase, timeout } of faultCases) {
  test(`faults: ${behaviour} fails during ${phase === "fetch" ? "fetch()" : "the body read"}`, async () => {
    const server = await startFaultServer(behaviour);
    try {
      const signal = timeout ? AbortSignal.timeout(300) : undefined;
      const response = fetch(`${server.url}/f`, { signal });
      if (phase === "fetch") {
        await rejectsWith(response, timeout ? /TimeoutError/ : /./);
      } else {
        const r = await response;
        assert.equal(r.status, 200);
        await rejectsWith(r.text(), timeout ? /TimeoutError/ : /error reading a body|ECONNRESET/);
      }
      assert.equal(server.connections, 1);
      assert.equal(server.requests, 1);
    } finally {
      await server.close();
    }
  });
}

test("faults: ok answers, and counts connections", async () => {
  const server = await startFaultServer("ok");
  try {
    for (let i = 0; i < 2; i++) {
      const r = await fetch(server.url);
      assert.equal(await r.text(), "ok");
    }
    assert.equal(server.connections, 2); // `Connection: close`: one connection per request
  } finally {
    await server.close();
  }
});

test("faults: refusedPort refuses; delayedStart refuses until it listens", async () => {
  const refused = await refusedPort();
  await rejectsWith(fetch(refused.url), /ECONNREFUSED|Connection refused/);
  await refused.close();

  const late = await delayedStart(800);
  try {
    await rejectsWith(fetch(late.url), /ECONNREFUSED|Connection refused/);
    assert.equal(late.connections, 0);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const r = await fetch(late.url);
    assert.equal(await r.text(), "ok");
    assert.equal(late.connections, 1);
  } finally {
    await late.close();
  }
  const never = await delayedStart(60_000, "stallHeaders");
  await never.close(); // closing before the start cancels the timer (no leak)
});
