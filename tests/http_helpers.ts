/**
 * Helpers shared by the HttpTransport tests (tests/http_*_test.ts) and the
 * client's: run an effect as a promise, use a transport then close it, and a
 * server that stalls on demand.
 */
import { Effect } from "effect";
import type { Transport } from "../core/transport.ts";
import { serve } from "./fixtures/server.ts";

/** Runs an effect to a promise. */
export const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect);

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
