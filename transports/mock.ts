/**
 * A transport for tests: interceptors (`mock.on({...}).reply(...)`), a
 * handler function, or both, with the history of every call. No request
 * escapes by accident: what no interceptor matches and no handler answers
 * fails with an `UnmatchedRequest` that shows the closest interceptors,
 * unless its host is on the `allow` list of a `passthrough` transport.
 *
 * A request goes, in order, to: the first interceptor (in registration
 * order) that matches it and is not used up; the `passthrough` transport when
 * its URL matches an `allow` key; the `handler`; otherwise it fails.
 *
 * @module
 */
import { Effect } from "effect";
import {
  AppError,
  InvalidOptions,
  type TransportError,
  TransportErrorBase,
  UnmatchedRequest,
  UnusedInterceptors,
  WriteError,
} from "../core/errors.ts";
import { isTransport, Transport } from "../core/transport.ts";
import { UrlPattern } from "../router/pattern.ts";
import { Router } from "../router/router.ts";
import {
  CompiledInterceptor,
  describeAsked,
  type Interceptor,
  type InterceptorState,
  type InterceptSpec,
  nearMisses,
  type RequestView,
  take,
} from "./mock_interceptors.ts";

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
 * const last = mock.calls.at(-1); // { request, outcome: { status }, by: "handler" } once a call was made
 * ```
 */
export interface MockCall {
  /** The request as the transport received it; its body is a copy the handler did not consume. */
  readonly request: Request;
  /** How the call ended: the response's status, or the error. */
  readonly outcome: { readonly status: number } | { readonly error: TransportError };
  /** What answered it: an interceptor (its description), the passthrough transport, the handler, or nothing. */
  readonly by: `interceptor ${string}` | "passthrough" | "handler" | "unmatched";
}

/**
 * Options of `MockTransport.make`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { HttpTransport, type MockOptions } from "@switchyard/switchyard";
 * const network = HttpTransport.make();
 * const options: MockOptions = { passthrough: network, allow: ["all://127.0.0.1", "all://localhost"] };
 * await Effect.runPromise(network.close());
 * ```
 */
export interface MockOptions {
  /** Answers what no interceptor matched (and no passthrough took). */
  readonly handler?: MockHandler;
  /**
   * A real transport for the hosts on `allow`; the mock owns it (closes it
   * in `close`). Requires `allow`.
   */
  readonly passthrough?: Transport;
  /**
   * Mount keys (`"all://localhost"`, `"https://*.internal"`,
   * `"http://127.0.0.1:8080"`) of the URLs `passthrough` may send
   * (when no interceptor matched). Requires `passthrough`.
   */
  readonly allow?: ReadonlyArray<string>;
}

/**
 * A mock transport with its interceptors and call history.
 *
 * @example
 * ```ts
 * import { Client, MockTransport } from "@switchyard/switchyard";
 * const mock: MockTransport = MockTransport.make();
 * mock.on({ method: "GET", path: "/users/1" }).reply(200, { id: 1 });
 * await using client = Client.make({ transport: mock });
 * console.assert((await (await client.fetch("http://api.test/users/1")).json()).id === 1);
 * mock.assertAllUsed();
 * ```
 */
export interface MockTransport extends Transport {
  /** Every call so far, oldest first. */
  readonly calls: ReadonlyArray<MockCall>;
  /** Forgets the history (not the interceptors). */
  readonly reset: () => void;
  /** Adds an interceptor for requests like `spec`; answer it with `.reply(...)` or `.fail(...)`. */
  readonly on: (spec: InterceptSpec) => Interceptor;
  /** The interceptors not used up yet (a persisted one counts until it was used once), in registration order. */
  readonly pending: () => ReadonlyArray<InterceptorState>;
  /** Throws `UnusedInterceptors`, listing each, when `pending()` is not empty. */
  readonly assertAllUsed: () => void;
}

/**
 * `MockTransport`'s constructor.
 *
 * @example
 * ```ts
 * import { MockTransport, type MockTransportStatics } from "@switchyard/switchyard";
 * const statics: MockTransportStatics = MockTransport;
 * ```
 */
export interface MockTransportStatics {
  /**
   * A mock that answers with `handler`, or, with options (or nothing), one
   * whose answers come from interceptors added with `on`.
   * @throws {InvalidOptions} on a bad handler or option.
   */
  make(handler?: MockHandler | MockOptions): MockTransport;
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

const parseOptions = (input: MockHandler | MockOptions | undefined): MockOptions => {
  if (input === undefined || typeof input === "function") return input === undefined ? {} : { handler: input };
  if (typeof input !== "object" || input === null) {
    throw new InvalidOptions({
      option: "handler",
      received: input === null ? "null" : typeof input,
      expected: "a function (request) => Response, or options { handler, passthrough, allow }",
    });
  }
  for (const key of Object.keys(input)) {
    if (key !== "handler" && key !== "passthrough" && key !== "allow") {
      throw new InvalidOptions({
        option: key,
        received: "an option that does not exist",
        expected: "one of handler, passthrough, allow",
      });
    }
  }
  if (input.handler !== undefined && typeof input.handler !== "function") {
    throw new InvalidOptions({ option: "handler", received: typeof input.handler, expected: "a function" });
  }
  if (input.passthrough !== undefined && !isTransport(input.passthrough)) {
    throw new InvalidOptions({
      option: "passthrough",
      received: typeof input.passthrough,
      expected: "a Transport, such as HttpTransport.make()",
    });
  }
  if ((input.passthrough === undefined) !== (input.allow === undefined)) {
    throw new InvalidOptions({
      option: input.passthrough === undefined ? "passthrough" : "allow",
      received: "undefined",
      expected: input.passthrough === undefined
        ? "a Transport for the hosts on `allow`"
        : 'the mount keys passthrough may send, e.g. ["all://localhost"] (["all://"] lets everything through)',
    });
  }
  if (input.allow !== undefined) {
    if (!Array.isArray(input.allow)) {
      throw new InvalidOptions({ option: "allow", received: typeof input.allow, expected: "an array of mount keys" });
    }
    input.allow.forEach((key, i) => {
      const error = typeof key === "string" ? UrlPattern.validate(key) : undefined;
      if (typeof key !== "string" || error !== undefined) {
        throw new InvalidOptions({
          option: `allow[${i}]`,
          received: error?.received ?? typeof key,
          expected: error?.expected ?? 'a mount key such as "all://localhost"',
        });
      }
    });
  }
  return input;
};

/** The view matching reads; `body` is read from a copy, so the request itself stays unread. */
const viewOf = (request: Request, body: string | undefined): RequestView => ({
  method: request.method,
  url: new URL(request.url),
  headers: request.headers,
  body,
});

const readView = (request: Request): Effect.Effect<RequestView, TransportError> =>
  request.body === null ? Effect.succeed(viewOf(request, undefined)) : Effect.map(
    Effect.tryPromise({
      try: () => request.clone().text(),
      catch: (cause) => new WriteError(request, { cause, detail: "the mock could not read the request body" }),
    }),
    (text) => viewOf(request, text),
  );

const make = (input?: MockHandler | MockOptions): MockTransport => {
  const { handler, passthrough, allow } = parseOptions(input);
  const allowed = allow === undefined ? undefined : Router.make(allow.map((key) => [key, true] as const));
  const calls: Array<MockCall> = [];
  const interceptors: Array<CompiledInterceptor> = [];

  type Answer = { readonly by: MockCall["by"]; readonly response: Effect.Effect<Response, TransportError> };

  /** What answers when no interceptor matched; `view` is what matching saw, if it ran. */
  const fallback = (request: Request, view: RequestView | undefined): Answer => {
    if (passthrough !== undefined && allowed!.resolve(request) !== undefined) {
      return { by: "passthrough", response: passthrough.handle(request) };
    }
    if (handler !== undefined) return { by: "handler", response: run(handler, request) };
    const seen = view !== undefined && (view.body !== undefined || request.body === null)
      ? Effect.succeed(view)
      : readView(request);
    return {
      by: "unmatched",
      response: Effect.flatMap(
        seen,
        (v) => Effect.fail(new UnmatchedRequest(request, nearMisses(interceptors, v), describeAsked(v))),
      ),
    };
  };

  const answer = (request: Request): Effect.Effect<Answer, TransportError> => {
    if (interceptors.length === 0) return Effect.succeed(fallback(request, undefined));
    const needsBody = request.body !== null && interceptors.some((i) => i.live && i.needsBody);
    return Effect.map(needsBody ? readView(request) : Effect.sync(() => viewOf(request, undefined)), (view) => {
      const hit = take(interceptors, view);
      if (hit === undefined) return fallback(request, view);
      const reply = hit.answer === undefined
        ? Effect.fail(
          new AppError(request, {
            detail: `the interceptor ${hit.description} has no answer: call .reply() or .fail()`,
          }),
        )
        : run(hit.answer, request);
      return {
        by: `interceptor ${hit.description}` as const,
        response: hit.delayMs > 0 ? Effect.andThen(Effect.sleep(hit.delayMs), reply) : reply,
      };
    });
  };

  const transport = Transport.make({
    kind: "mock",
    handle: (request) =>
      Effect.suspend(() => {
        // Keep an unread copy for the history; the answer may consume the original.
        const recorded = request.body === null ? request : request.clone();
        return Effect.flatMap(answer(request), ({ by, response }) =>
          response.pipe(
            Effect.tap((r) => Effect.sync(() => calls.push({ request: recorded, outcome: { status: r.status }, by }))),
            Effect.tapError((error) => Effect.sync(() => calls.push({ request: recorded, outcome: { error }, by }))),
          ));
      }),
    close: passthrough === undefined ? undefined : () => passthrough.close(),
  });
  // Not used up: fewer uses than its limit; a persisted one, until its first use.
  const unused = () => interceptors.filter((i) => i.limit === Infinity ? i.uses === 0 : i.uses < i.limit);
  return {
    ...transport,
    calls,
    reset: () => void (calls.length = 0),
    on: (spec) => {
      const interceptor = new CompiledInterceptor(spec);
      interceptors.push(interceptor);
      return interceptor;
    },
    pending: () => unused().map((i) => ({ description: i.description, uses: i.uses, limit: i.limit })),
    assertAllUsed: () => {
      const left = unused();
      if (left.length > 0) throw new UnusedInterceptors(left.map((i) => `${i.description} (${i.usesText()})`));
    },
  };
};

/**
 * Builds a mock transport: from a handler, or from interceptors.
 *
 * @example Interceptors, and what an unmatched request says
 * ```ts
 * import { Client, MockTransport, UnmatchedRequest } from "@switchyard/switchyard";
 * const mock = MockTransport.make();
 * mock.on({ method: "POST", url: "http://api.test/users", body: { name: "Ada" } }).reply(201, { id: 7 });
 * await using client = Client.make({ transport: mock });
 * const created = await client.fetch("http://api.test/users", { method: "POST", body: '{"name":"Ada"}' });
 * console.assert(created.status === 201 && (await created.json()).id === 7);
 * const missed = await client.fetch("http://api.test/users", { method: "POST", body: '{"name":"Bob"}' }).catch((e) => e);
 * console.assert(missed instanceof UnmatchedRequest && /already used up/.test(missed.message));
 * ```
 *
 * @example A handler
 * ```ts
 * import { Client, ConnectError, MockTransport } from "@switchyard/switchyard";
 * const mock = MockTransport.make((request) => {
 *   if (new URL(request.url).pathname === "/down") throw new ConnectError(request, { detail: "simulated" });
 *   return Response.json({ ok: true });
 * });
 * await using client = Client.make({ transport: mock });
 * await (await client.fetch("http://api.test/")).json(); // { ok: true }
 * console.assert(mock.calls.length === 1 && mock.calls[0]!.by === "handler");
 * ```
 */
export const MockTransport: MockTransportStatics = { make };
