/**
 * Timeouts near the timer limit: each phase is at most 2^31-1 ms (refused past
 * it, bad_input_test.ts), and phases an engine adds up (fetch cannot see the
 * connect, so `connect + write + read` bound the wait for the headers) are
 * capped there, so they never overflow into a timer that fires at once.
 */
import assert from "node:assert/strict";
import { Effect } from "effect";
import { HttpTransport, type HttpTransportOptions } from "../mod.ts";
import { withServer } from "./fixtures/server.ts";
import { test } from "./harness.ts";

const MAX = 2 ** 31 - 1;

const cases: Record<string, HttpTransportOptions> = {
  "timeout: 1e9 (three phases of 1e9 add up past 2^31)": { timeout: 1e9 },
  "every phase at the maximum": { timeout: { connect: MAX, write: MAX, read: MAX, pool: MAX, total: MAX } },
};

for (const [name, options] of Object.entries(cases)) {
  test(`timer bounds: ${name} waits for a slow answer instead of failing at once`, async () => {
    // Before: ReadTimeout after 1-4 ms, the summed deadline having overflowed.
    await withServer(async () => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return new Response("late but fine");
    }, async (server) => {
      const t = HttpTransport.make({ ...options, trustEnv: false, limits: { maxConnections: 4 } });
      try {
        const response = await Effect.runPromise(t.handle(new Request(server.url)));
        assert.equal(await response.text(), "late but fine");
      } finally {
        await Effect.runPromise(t.close());
      }
    });
  });
}
