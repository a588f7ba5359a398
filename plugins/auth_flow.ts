/**
 * One authenticated exchange, written once as a generator (HTTPX's
 * `Auth.auth_flow`: `yield request` to get its response) and run by two small
 * interpreters, one per lane. The generator decides: send, ask the scheme
 * whether to answer a 401, copy the body before the first send and re-send
 * it only from a complete copy, cancel the body of a 401 it will not return.
 * The interpreters only sequence: `next.handle` and Effects on the Effect
 * lane, `next.fetch` and Promises on the Promise lane.
 *
 * @module
 */
import { Effect } from "effect";
import { isTransportError, type TransportError } from "../core/errors.ts";
import { runLane, type Transport } from "../core/transport.ts";
import type { Pending, SchemeLogic } from "./auth_scheme.ts";
import { copyBody } from "./body_copy.ts";
import { discardBody } from "../core/discard_body.ts";

/** What the flow asks its lane to do. */
type Op =
  | { readonly op: "send"; readonly request: Request }
  | { readonly op: "effect"; readonly effect: Effect.Effect<unknown, TransportError> }
  | { readonly op: "promise"; readonly run: () => Promise<unknown> };

/** A flow: yields operations, is resumed with their results, returns the response. */
type Flow = Generator<Op, Response, unknown>;

/**
 * Sets `authorization` on `request` in place (a client-built request's
 * headers are mutable: no copy on the hot path), or on a copy when its
 * headers are immutable. `undefined` leaves it as it is.
 *
 * @example
 * ```ts
 * import { withAuthorization } from "./auth_flow.ts";
 * const request = withAuthorization(new Request("http://x.test/"), "Bearer t");
 * console.assert(request.headers.get("authorization") === "Bearer t");
 * ```
 */
export const withAuthorization = (request: Request, value: string | undefined): Request => {
  if (value === undefined) return request;
  try {
    request.headers.set("authorization", value);
    return request;
  } catch {
    const headers = new Headers(request.headers);
    headers.set("authorization", value);
    return new Request(request, { headers });
  }
};

/** The next attempt: same method, URL and headers, the new Authorization, the copied body. */
const resend = (sent: Request, authorization: string, body: Uint8Array | null): Request => {
  const headers = new Headers(sent.headers);
  headers.set("authorization", authorization);
  // The copy's bytes are a plain Uint8Array: a BodyInit on every runtime.
  return new Request(sent.url, {
    method: sent.method,
    headers,
    body: body as BodyInit | null,
    signal: sent.signal,
    redirect: sent.redirect,
  });
};

function* wait<A>(pending: Pending<A>): Generator<Op, A, unknown> {
  return Effect.isEffect(pending) ? (yield { op: "effect", effect: pending }) as A : pending;
}

/**
 * The exchange for a scheme that may answer a 401 (digest, a bearer token
 * source). `header` is what `logic.first` gave.
 */
function* authFlow(logic: SchemeLogic, request: Request, header: string | undefined, replayLimit: number): Flow {
  const hasBody = request.body !== null;
  // Before the first send: afterwards the body is the transport's.
  const copy = hasBody ? copyBody(request, replayLimit) : undefined;
  try {
    let sent = withAuthorization(request, header);
    let used = header;
    for (let attempt = 1;; attempt++) {
      const response = (yield { op: "send", request: sent }) as Response;
      if (response.status !== 401) {
        logic.answered?.(sent, response);
        return response;
      }
      let again: string | null;
      try {
        again = yield* wait(logic.retry!(sent, response, used, attempt));
      } catch (error) {
        yield { op: "promise", run: () => discardBody(response) };
        throw error;
      }
      if (again === null) return response;
      let body: Uint8Array | null = null;
      if (hasBody) {
        const bytes = copy === undefined
          ? undefined
          : (yield { op: "promise", run: copy.bytes }) as Uint8Array | undefined;
        // Over the limit, or not readable: the caller gets the 401 rather than a body sent partly or empty.
        if (bytes === undefined) return response;
        body = bytes;
      }
      yield { op: "promise", run: () => discardBody(response) };
      sent = resend(sent, again, body);
      used = again;
    }
  } finally {
    copy?.drop();
  }
}

/**
 * Runs an exchange on the Promise lane.
 *
 * @example
 * ```ts
 * import { runFlowPromise } from "./auth_flow.ts";
 * const logic = { first: () => "Basic eA==", retry: () => null };
 * const response = await runFlowPromise(logic, new Request("http://x.test/"), "Basic eA==", 0, async (r) =>
 *   new Response(r.headers.get("authorization")));
 * console.assert((await response.text()) === "Basic eA==");
 * ```
 */
export const runFlowPromise = async (
  logic: SchemeLogic,
  request: Request,
  header: string | undefined,
  replayLimit: number,
  nextFetch: (request: Request) => Promise<Response>,
): Promise<Response> => {
  const flow = authFlow(logic, request, header, replayLimit);
  let step = flow.next();
  while (!step.done) {
    const op = step.value;
    try {
      const result = op.op === "send"
        ? await nextFetch(op.request)
        : op.op === "effect"
        ? await runLane(op.effect, request.signal)
        : await op.run();
      step = flow.next(result);
    } catch (error) {
      step = flow.throw(error);
    }
  }
  return step.value;
};

/**
 * Runs an exchange on the Effect lane, in the caller's fiber (an interruption
 * ends the flow and drops its body copy).
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { Transport } from "../core/transport.ts";
 * import { runFlowEffect } from "./auth_flow.ts";
 * const next = Transport.make({ handle: (r) => Effect.succeed(new Response(r.headers.get("authorization"))) });
 * const logic = { first: () => "Basic eA==", retry: () => null };
 * const response = await Effect.runPromise(runFlowEffect(logic, new Request("http://x.test/"), "Basic eA==", 0, next));
 * ```
 */
export const runFlowEffect = (
  logic: SchemeLogic,
  request: Request,
  header: string | undefined,
  replayLimit: number,
  next: Transport,
): Effect.Effect<Response, TransportError> =>
  Effect.suspend(() => {
    const flow = authFlow(logic, request, header, replayLimit);
    const resume = (step: () => IteratorResult<Op, Response>): Effect.Effect<Response, TransportError> => {
      let result: IteratorResult<Op, Response>;
      try {
        result = step();
      } catch (error) {
        return isTransportError(error) ? Effect.fail(error) : Effect.die(error);
      }
      if (result.done) return Effect.succeed(result.value);
      const op = result.value;
      const run: Effect.Effect<unknown, TransportError> = op.op === "send"
        ? next.handle(op.request)
        : op.op === "effect"
        ? op.effect
        : Effect.promise(op.run);
      return Effect.matchEffect(run, {
        onSuccess: (value) => resume(() => flow.next(value)),
        onFailure: (error) => resume(() => flow.throw(error)),
      });
    };
    return Effect.ensuring(resume(() => flow.next()), Effect.sync(() => void flow.return(undefined as never)));
  });
