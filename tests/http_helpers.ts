/**
 * Helpers shared by the HttpTransport tests (tests/http_*_test.ts) and the
 * client's: run an effect as a promise, use a transport then close it, and a
 * server that stalls on demand.
 */
import assert from "node:assert/strict";
import { Effect } from "effect";
import { ConnectTimeout, ReadTimeout, TransportErrorBase } from "../core/errors.ts";
import type { Transport } from "../core/transport.ts";
import { serve } from "./fixtures/server.ts";
import { runtimeName } from "./harness.ts";

/** Runs an effect to a promise. */
export const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect);

/** The TransportError `promise` rejects with (any lane), or a failed assertion. */
export const rejection = async (promise: Promise<unknown>): Promise<TransportErrorBase> => {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TransportErrorBase, `expected a TransportError, got ${error}`);
    return error;
  }
  assert.fail("expected a rejection");
};

/**
 * A request that stalled in the connect phase under `{ connect, read }` and failed with `error` after
 * `elapsed` ms: Bun's node engines see the phase (`ConnectTimeout`, well before connect + read); Deno's
 * fetch cannot, and gives the safer `ReadTimeout` at connect + read.
 */
export const assertConnectStall = (
  error: TransportErrorBase,
  elapsed: number,
  timeout: { readonly connect: number; readonly read: number },
): void => {
  const both = timeout.connect + timeout.read;
  if (runtimeName === "bun") {
    assert.ok(error instanceof ConnectTimeout, String(error));
    assert.ok(elapsed < both, `fired after ${elapsed} ms`);
  } else {
    assert.ok(error instanceof ReadTimeout, String(error));
    assert.ok(elapsed >= both - 10, `fired after ${elapsed} ms, before connect + read`);
  }
};

/** Calls `fn` with the transport, then closes it (even when `fn` fails). */
export const using = async <A>(transport: Transport, fn: (t: Transport) => Promise<A>): Promise<A> => {
  try {
    return await fn(transport);
  } finally {
    await run(transport.close());
  }
};

/** A server whose `/slow` answers only when released; `/stream` sends one chunk and never ends. */
export const withStallingServer = async (fn: (url: string, reached: Promise<void>) => Promise<void>): Promise<void> => {
  let arrived!: () => void;
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  let unblock!: () => void;
  const blocked = new Promise<void>((resolve) => (unblock = resolve));
  const server = serve(async (req) => {
    if (new URL(req.url).pathname === "/slow") {
      arrived();
      await blocked;
      return new Response("late");
    }
    return new Response(new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(new TextEncoder().encode("part")) }));
  });
  try {
    await fn(server.url, reached);
  } finally {
    unblock();
    await server.close();
  }
};
