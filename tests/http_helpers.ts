/**
 * Helpers shared by the HttpTransport tests (tests/http_*_test.ts): run an
 * effect as a promise, and use a transport then close it.
 */
import { Effect } from "effect";
import type { Transport } from "../core/transport.ts";

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
