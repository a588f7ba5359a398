/**
 * A transport that answers with a function: for tests and for simulating
 * faults. The function may be sync or async, may return a `Response`, or may
 * fail with any `TransportError` (thrown, rejected, or as a failed Effect).
 *
 * @module
 */
import { Effect } from "effect";
import { AppError, InvalidOptions, type TransportError, TransportErrorBase } from "../core/errors.ts";
import { Transport } from "../core/transport.ts";

/**
 * What a mock handler may return.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { ConnectError, type MockResult } from "@switchyard/switchyard";
 * const refused = (request: Request): MockResult => Effect.fail(new ConnectError(request, { detail: "simulated" }));
 * ```
 */
export type MockResult = Response | Promise<Response> | Effect.Effect<Response, TransportError>;

/**
 * A mock handler: gets the request, returns the response (or fails).
 *
 * @example
 * ```ts
 * import type { MockHandler } from "@switchyard/switchyard";
 * const handler: MockHandler = async (request) => Response.json({ echoed: await request.text() });
 * ```
 */
export type MockHandler = (request: Request) => MockResult;

/**
 * One recorded call.
 *
 * @example
 * ```ts
 * import { MockTransport } from "@switchyard/switchyard";
 * const mock = MockTransport.make(() => new Response("ok"));
 * const last = mock.calls.at(-1); // { request, outcome: { status } } once a call was made
 * ```
 */
export interface MockCall {
  /** The request as the transport received it; its body is a copy the handler did not consume. */
  readonly request: Request;
  /** How the call ended: the response's status, or the error. */
  readonly outcome: { readonly status: number } | { readonly error: TransportError };
}

/** A mock transport with its call history. */
export interface MockTransport extends Transport {
  /** Every call so far, oldest first. */
  readonly calls: ReadonlyArray<MockCall>;
  /** Forgets the history. */
  readonly reset: () => void;
}

const toError = (request: Request, error: unknown): TransportError =>
  error instanceof TransportErrorBase ? error as TransportError : new AppError(request, { cause: error });

const run = (handler: MockHandler, request: Request): Effect.Effect<Response, TransportError> =>
  Effect.suspend(() => {
    let result: MockResult;
    try {
      result = handler(request);
    } catch (error) {
      return Effect.fail(toError(request, error));
    }
    if (Effect.isEffect(result)) return result;
    if (result instanceof Response) return Effect.succeed(result);
    return Effect.tryPromise({ try: () => Promise.resolve(result), catch: (error) => toError(request, error) });
  }).pipe(Effect.flatMap((response) =>
    response instanceof Response
      ? Effect.succeed(response)
      : Effect.fail(new AppError(request, { detail: `the mock returned ${typeof response}, not a Response` }))
  ));

/**
 * Builds a mock transport.
 *
 * @example
 * ```ts
 * import { Client, ConnectError, MockTransport } from "@switchyard/switchyard";
 * const mock = MockTransport.make((request) => {
 *   if (new URL(request.url).pathname === "/down") throw new ConnectError(request, { detail: "simulated" });
 *   return Response.json({ ok: true });
 * });
 * await using client = Client.make({ transport: mock });
 * await (await client.fetch("http://api.test/")).json(); // { ok: true }
 * mock.calls.length; // 1
 * ```
 */
export const MockTransport: { make(handler: MockHandler): MockTransport } = {
  make: (handler: MockHandler): MockTransport => {
    if (typeof handler !== "function") {
      throw new InvalidOptions({
        option: "handler",
        received: handler === null ? "null" : typeof handler,
        expected: "a function (request) => Response",
      });
    }
    const calls: Array<MockCall> = [];
    const transport = Transport.make({
      kind: "mock",
      handle: (request) => {
        // Keep an unread copy for the history; the handler may consume the original.
        const recorded = request.body === null ? request : request.clone();
        return run(handler, request).pipe(
          Effect.tap((response) =>
            Effect.sync(() => calls.push({ request: recorded, outcome: { status: response.status } }))
          ),
          Effect.tapError((error) => Effect.sync(() => calls.push({ request: recorded, outcome: { error } }))),
        );
      },
    });
    return { ...transport, calls, reset: () => void (calls.length = 0) };
  },
};
