/**
 * The plugin contract. A plugin is `(next: Transport) => Transport`;
 * plugins compose outer-first (the first in a list sees the request first and
 * the response last), like undici's `compose` and HTTPX's wrapping transports.
 *
 * Plugins defined once, both lanes derived: `Plugin.steps` turns steps that
 * run before and after the rest of the pipeline into a plugin with an Effect
 * lane and a Promise lane of the same meaning (httpcore writes its async code
 * once and generates the sync one; this is the same idea, done by two small
 * interpreters of one definition instead of a code generator).
 *
 * A step may return a value, a Promise or an Effect. On the Promise lane a
 * synchronous step costs no promise hop and a Promise step no Effect run; only
 * an Effect step runs the Effect runtime. On the Effect lane everything is an
 * Effect, run in the caller's fiber.
 *
 * @module
 */
import { Effect } from "effect";
import { isTransportError, LocalProtocolError, type TransportError } from "./errors.ts";
import { fail, func, optional } from "./options.ts";
import { headerRefusal } from "./runtime.ts";
import { Transport } from "./transport.ts";

/**
 * What a step may return: a value, a Promise of it, or an Effect that may
 * fail with a `TransportError`. A step that throws (or rejects with) a
 * `TransportError` fails the call with it; anything else it throws is a bug
 * in the step: a defect on the Effect lane, the same rejection on the Promise
 * lane.
 *
 * @example
 * ```ts
 * import type { StepResult } from "@switchyard/switchyard";
 * const later: StepResult<void> = Promise.resolve();
 * ```
 */
export type StepResult<A> = A | Promise<A> | Effect.Effect<A, TransportError>;

/**
 * The steps of one plugin. Each is optional.
 *
 * @example
 * ```ts
 * import type { Steps } from "@switchyard/switchyard";
 * const steps: Steps = {
 *   onRequest: (request) => void request.headers.set("x-app", "demo"),
 *   onResponse: (response) => console.log(response.status),
 *   onError: (error) => console.log(error._tag),
 * };
 * ```
 */
export interface Steps {
  /**
   * Before the request goes on. Return nothing to send it as it is (its
   * headers may be edited in place), a `Request` to send that instead, or a
   * `Response` to answer without sending (the rest of the pipeline and this
   * plugin's `onResponse` are skipped).
   */
  readonly onRequest?: (request: Request) => StepResult<void | Request | Response>;
  /** When the rest of the pipeline answered: return nothing to pass the response on, or a replacement. */
  readonly onResponse?: (response: Response, request: Request) => StepResult<void | Response>;
  /**
   * When the rest of the pipeline failed with a `TransportError` (never for
   * an abort or interruption): return nothing to pass the error on, or a
   * `Response` to recover with.
   */
  readonly onError?: (error: TransportError, request: Request) => StepResult<void | Response>;
}

/**
 * A plugin's steps with its name.
 *
 * @example
 * ```ts
 * import { Plugin, type NamedSteps } from "@switchyard/switchyard";
 * const spec: NamedSteps = { name: "user-agent", onRequest: (r) => void r.headers.set("user-agent", "demo/1") };
 * const plugin = Plugin.steps(spec);
 * ```
 */
export interface NamedSteps extends Steps {
  /** The plugin's name, shown by `client.explain` and in traces. */
  readonly name: string;
}

/**
 * `Plugin.steps`, the way to write a plugin once and get both lanes.
 *
 * @example
 * ```ts
 * import { Plugin, type PluginStatics } from "@switchyard/switchyard";
 * const statics: PluginStatics = Plugin;
 * ```
 */
export interface PluginStatics {
  /**
   * A plugin from steps; every request runs the same steps.
   * @throws {InvalidOptions} when `name` is not a string or a step is not a function.
   *
   * The factory form, `Plugin.steps(name, () => steps)`, calls the factory
   * once per request (each redirect hop is a request), so the steps can keep
   * per-request state in a closure (a start time, an attempt count).
   */
  steps(steps: NamedSteps): Plugin;
  /** See the first overload. */
  steps(name: string, perRequest: () => Steps): Plugin;
}

/**
 * A plugin: `(next: Transport) => Transport`. Build one with `Plugin.steps`,
 * or with `Transport.wrap` when the plugin drives `next` itself (retries,
 * balancing, caching).
 *
 * @example Steps that act before and after
 * ```ts
 * import { Client, MockTransport, Plugin } from "@switchyard/switchyard";
 * const timing = Plugin.steps("timing", () => {
 *   const started = performance.now();
 *   return { onResponse: (response) => void response.headers.set("x-ms", String(performance.now() - started)) };
 * });
 * await using client = Client.make({ transport: MockTransport.make(() => new Response("ok")), plugins: [timing] });
 * const response = await client.fetch("http://api.test/");
 * console.assert(response.headers.has("x-ms"));
 * ```
 */
export type Plugin = (next: Transport) => Transport;

/** A function's result, told apart without `await`. */
const isPromise = (u: unknown): u is Promise<unknown> =>
  typeof u === "object" && u !== null && typeof (u as Promise<unknown>).then === "function";

/** The Promise-lane value of a step's result: as is when synchronous, else a Promise. */
const settle = <A>(result: StepResult<A>): A | Promise<A> =>
  Effect.isEffect(result) ? Effect.runPromise(result) : result;

/**
 * A step's failure as the call's: a `TransportError` as it is; a header the
 * runtime's `Headers` refused (a value with CR or LF, which Deno's message
 * quotes: a token read from a file with its newline would reach a span or a
 * log) as a `LocalProtocolError` naming the plugin, not the value; anything
 * else unchanged (a bug in the step).
 */
const stepFailure = (name: string, request: Request, error: unknown): unknown => {
  if (isTransportError(error)) return error;
  const refused = headerRefusal(error);
  if (refused === undefined) return error;
  return new LocalProtocolError(request, {
    detail: refused === "value"
      ? `plugin "${name}" set a header value with CR, LF or NUL (refused; the value is not shown)`
      : `plugin "${name}" set a header whose name is not an HTTP token`,
  });
};

/** A step's failure on the Effect lane: a typed failure (see `stepFailure`), else a defect. */
const failStep = (name: string, request: Request, error: unknown): Effect.Effect<never, TransportError> => {
  const failure = stepFailure(name, request, error);
  return isTransportError(failure) ? Effect.fail(failure) : Effect.die(failure);
};

/**
 * Calls a step on the Effect lane, in the caller's fiber: a thrown or
 * rejected failure, and an Effect step's defect, go through `failStep`.
 */
const call = <A>(name: string, request: Request, step: () => StepResult<A>): Effect.Effect<A, TransportError> =>
  Effect.suspend(() => {
    let result: StepResult<A>;
    try {
      result = step();
    } catch (error) {
      return failStep(name, request, error);
    }
    if (!Effect.isEffect(result) && !isPromise(result)) return Effect.succeed(result as A);
    const failed = (error: unknown) => failStep(name, request, error);
    return Effect.isEffect(result)
      ? Effect.catchDefect(result, failed)
      : Effect.flatten(Effect.promise(() => (result as Promise<A>).then(Effect.succeed, failed)));
  });

const effectLane = (name: string, next: Transport, perRequest: () => Steps) => (request: Request) =>
  Effect.suspend(() => {
    const s = perRequest();
    const onResponse = s.onResponse;
    const onError = s.onError;
    const send = (replacement: void | Request | Response): Effect.Effect<Response, TransportError> => {
      if (replacement instanceof Response) return Effect.succeed(replacement);
      const sent = replacement instanceof Request ? replacement : request;
      const answer = next.handle(sent);
      if (onResponse === undefined && onError === undefined) return answer;
      return Effect.matchEffect(answer, {
        onSuccess: (response) =>
          onResponse === undefined
            ? Effect.succeed(response)
            : Effect.map(call(name, sent, () => onResponse(response, sent)), (out) => out ?? response),
        onFailure: (error) =>
          onError === undefined
            ? Effect.fail(error)
            : Effect.flatMap(call(name, sent, () => onError(error, sent)), (out) =>
              out ? Effect.succeed(out) : Effect.fail(error)),
      });
    };
    const onRequest = s.onRequest;
    return onRequest === undefined
      ? send(undefined)
      : Effect.flatMap(call(name, request, () => onRequest(request)), send);
  });

/** The rejection handler of an async step on the Promise lane (made only when a step returned a Promise). */
const rejectedStep = (name: string, request: Request) => (error: unknown): never => {
  throw stepFailure(name, request, error);
};

const promiseLane =
  (name: string, next: Transport, perRequest: () => Steps) => (request: Request): Promise<Response> => {
    try {
      const s = perRequest();
      const onResponse = s.onResponse;
      const onError = s.onError;
      const send = (replacement: void | Request | Response): Promise<Response> => {
        if (replacement instanceof Response) return Promise.resolve(replacement);
        const sent = replacement instanceof Request ? replacement : request;
        const answer = next.fetch(sent);
        if (onResponse === undefined && onError === undefined) return answer;
        return answer.then(
          onResponse === undefined ? undefined : (response) => {
            let out: void | Response | Promise<void | Response>;
            try {
              out = settle(onResponse(response, sent));
            } catch (error) {
              throw stepFailure(name, sent, error);
            }
            return isPromise(out) ? out.then((o) => o ?? response, rejectedStep(name, sent)) : out ?? response;
          },
          onError === undefined ? undefined : (error) => {
            if (!isTransportError(error)) throw error;
            let out: void | Response | Promise<void | Response>;
            try {
              out = settle(onError(error, sent));
            } catch (thrown) {
              throw stepFailure(name, sent, thrown);
            }
            const recover = (o: void | Response) => {
              if (o) return o;
              throw error;
            };
            return isPromise(out) ? out.then(recover, rejectedStep(name, sent)) : recover(out);
          },
        );
      };
      if (s.onRequest === undefined) return send(undefined);
      let replacement: void | Request | Response | Promise<void | Request | Response>;
      try {
        replacement = settle(s.onRequest(request));
      } catch (error) {
        throw stepFailure(name, request, error);
      }
      return isPromise(replacement) ? replacement.then(send, rejectedStep(name, request)) : send(replacement);
    } catch (error) {
      return Promise.reject(error);
    }
  };

const step = optional(func<(...args: never[]) => unknown>("a function"));

/** Checks `Plugin.steps`' arguments at construction: a name, and step functions (or a per-request factory). */
const checkSteps = (first: unknown, factory: unknown): void => {
  if (typeof first === "string") {
    func("a function () => Steps, called once per request")(factory, "perRequest");
    return;
  }
  if (typeof first !== "object" || first === null) {
    fail("steps", first, "{ name, onRequest?, onResponse?, onError? }, or a name and a function () => Steps");
  }
  const s = first as Record<string, unknown>;
  if (typeof s.name !== "string") fail("steps.name", s.name, "the plugin's name, a string");
  for (const key of ["onRequest", "onResponse", "onError"]) step(s[key], `steps.${key}`);
};

const steps = (first: NamedSteps | string, factory?: () => Steps): Plugin => {
  checkSteps(first, factory);
  const name = typeof first === "string" ? first : first.name;
  const perRequest: () => Steps = typeof first === "string" ? factory! : () => first;
  const plugin: Plugin = (next) =>
    Transport.wrap(next, {
      name,
      handle: effectLane(name, next, perRequest),
      fetch: promiseLane(name, next, perRequest),
    });
  Object.defineProperty(plugin, "name", { value: name });
  return plugin;
};

/**
 * `Plugin.steps`: the way to write a plugin once and get both lanes.
 *
 * @example A request header and a response check, on both faces
 * ```ts
 * import { Effect } from "effect";
 * import { Client, HandlerTransport, Plugin } from "@switchyard/switchyard";
 * const app = (request: Request) => new Response(request.headers.get("x-app"));
 * const tag = Plugin.steps({ name: "tag", onRequest: (request) => void request.headers.set("x-app", "demo") });
 * await using client = Client.make({ transport: HandlerTransport.make(app), plugins: [tag] });
 * console.assert((await (await client.fetch("http://app.test/")).text()) === "demo"); // Promise face
 * const viaEffect = await Effect.runPromise(client.get("http://app.test/")); // Effect face
 * console.assert((await viaEffect.text()) === "demo");
 * ```
 */
export const Plugin: PluginStatics = { steps: steps as PluginStatics["steps"] };
