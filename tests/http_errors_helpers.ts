/**
 * Helpers shared by the HttpTransport error tests (tests/http_faults_test.ts,
 * tests/http_timeouts_test.ts, tests/http_retries_test.ts): a transport against
 * a misbehaving fault server, a request's failure, a body read's failure.
 */
import assert from "node:assert/strict";
import { Effect } from "effect";
import type { TransportError, TransportErrorBase } from "../core/errors.ts";
import type { Transport } from "../core/transport.ts";
import { HttpTransport, type HttpTransportOptions } from "../transports/http/mod.ts";
import { type FaultBehaviour, type FaultServer, startFaultServer } from "./fixtures/faults.ts";
import { run } from "./http_helpers.ts";

/** Starts a fault server with `behaviour` and a transport with `options`, calls `fn`, then closes both. */
export const withFault = async <A>(
  behaviour: FaultBehaviour,
  options: HttpTransportOptions,
  fn: (t: Transport, server: FaultServer) => Promise<A>,
): Promise<A> => {
  const server = await startFaultServer(behaviour);
  const t = HttpTransport.make(options);
  try {
    return await fn(t, server);
  } finally {
    await run(t.close());
    await server.close();
  }
};

/** Runs the request and returns the error it fails with. */
export const failure = (t: Transport, request: Request): Promise<TransportError> => run(Effect.flip(t.handle(request)));

/** Asserts that reading the body rejects with `Class`, and returns the error. */
export const bodyFailure = async <C extends abstract new (...args: never[]) => TransportErrorBase>(
  response: Response,
  Class: C,
): Promise<InstanceType<C>> => {
  try {
    await response.text();
  } catch (error) {
    assert.ok(error instanceof Class, `expected ${Class.name}, got ${error}`);
    return error as InstanceType<C>;
  }
  assert.fail(`expected the body read to fail with ${Class.name}`);
};
