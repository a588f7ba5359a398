/**
 * The caller's signal reaches the network on every HttpTransport path: the
 * simple one, and the full one (timeouts, retries, a pool limit), where each
 * attempt has an AbortController of its own. Before, the full path's
 * controller replaced the caller's signal and an abort waited for the
 * timeout.
 */
import assert from "node:assert/strict";
import { Client, HttpTransport } from "../mod.ts";
import { bothLanes } from "./lanes.ts";
import { withStallingServer } from "./http_helpers.ts";

const PATHS = {
  simple: {},
  "full (timeout)": { timeout: 3_000 },
  "full (retries)": { retries: 2 },
  "full (pool limit)": { limits: { maxConnections: 1 } },
} as const;

for (const [path, options] of Object.entries(PATHS)) {
  bothLanes(
    `http abort: a Request input's signal aborts a request in flight on the ${path} path`,
    ({ lane, call }) =>
      withStallingServer(async (url, reached) => {
        await using client = Client.make({ transport: HttpTransport.make(options) });
        const controller = new AbortController();
        const reason = new Error("caller gave up");
        const pending = call(client, new Request(`${url}/slow`, { signal: controller.signal })).then(
          () => "resolved",
          (error) => error,
        );
        await reached;
        const started = Date.now();
        controller.abort(reason);
        const outcome = await pending;
        assert.ok(Date.now() - started < 1_000, `settled ${Date.now() - started} ms after the abort`);
        // fetch's rule on the Promise face; the Effect face ends by interruption.
        if (lane === "promise") assert.equal(outcome, reason);
        else assert.notEqual(outcome, "resolved");
      }),
  );
}
