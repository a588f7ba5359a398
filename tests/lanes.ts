/**
 * `bothLanes`: one test case, run through each lane with the same assertions
 * (httpcore generates its sync code from its async code and fails CI on
 * drift; this is Switchyard's equivalent). A transport case sends with
 * `lanes.send(transport, request)`: `handle` run as a promise, or `fetch`. A
 * client case calls `lanes.call(client, input, init)`: the Effect methods
 * (`send` / `request`), or `client.fetch`. Failures arrive as rejections with
 * the same error instances on both.
 */
import { Effect } from "effect";
import type { Client } from "../client/client.ts";
import type { RequestInput } from "../client/request.ts";
import { taggedError } from "../client/fetch_error.ts";
import type { Transport } from "../core/transport.ts";
import { test } from "./harness.ts";

/** Which lane a case is running on. */
export type Lane = "effect" | "promise";

/** How a case sends, on its lane. */
export interface Lanes {
  readonly lane: Lane;
  /** Sends `request` through `transport`'s lane. */
  readonly send: (transport: Transport, request: Request) => Promise<Response>;
  /** A client call on this lane's face. */
  readonly call: (client: Client, input: RequestInput, init?: RequestInit) => Promise<Response>;
}

const effectLanes: Lanes = {
  lane: "effect",
  send: (transport, request) => Effect.runPromise(transport.handle(request)),
  call: (client, input, init) =>
    Effect.runPromise(
      input instanceof Request
        ? client.send(init === undefined ? input : new Request(input, init))
        : client.request(init?.method ?? "GET", input, init),
    ),
};

const promiseLanes: Lanes = {
  lane: "promise",
  send: (transport, request) => transport.fetch(request),
  // client.fetch rejects a network failure with fetch's face ("fetch failed", client/fetch_error.ts, tested on
  // its own by the conformance and real-client suites); the cases here assert on the tagged error behind it,
  // the same instance the Effect lane fails with.
  call: (client, input, init) =>
    client.fetch(input, init).catch((error) => {
      throw taggedError(error);
    }),
};

/** Registers `name [effect lane]` and `name [promise lane]`, the same case on each. */
export const bothLanes = (name: string, fn: (lanes: Lanes) => void | Promise<void>): void => {
  test(`${name} [effect lane]`, () => fn(effectLanes));
  test(`${name} [promise lane]`, () => fn(promiseLanes));
};
