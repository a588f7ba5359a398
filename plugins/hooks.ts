/**
 * Request and response hooks (HTTPX's `event_hooks`), as a plugin.
 *
 * @module
 */
import { Effect } from "effect";
import type { TransportError } from "../core/errors.ts";
import { type Plugin, Transport } from "../core/transport.ts";

/**
 * What a hook may return: nothing, a promise of nothing, or an Effect (which may fail with a TransportError).
 *
 * @example
 * ```ts
 * import type { HookResult } from "@switchyard/switchyard";
 * const audit = (request: Request): HookResult => console.log(request.method, request.url);
 * ```
 */
export type HookResult = void | Promise<void> | Effect.Effect<void, TransportError>;

/**
 * Hooks run around every request that reaches the wrapped transport (each redirect hop included).
 *
 * @example
 * ```ts
 * import { type Hooks, hooks } from "@switchyard/switchyard";
 * const spec: Hooks = { request: [(r) => void r.headers.set("x-trace", "1")] };
 * const plugin = hooks(spec);
 * ```
 */
export interface Hooks {
  /** Runs before the request is handed on; may edit its headers. */
  readonly request?: ReadonlyArray<(request: Request) => HookResult>;
  /** Runs when the response headers arrive, before the caller sees the response. */
  readonly response?: ReadonlyArray<(response: Response, request: Request) => HookResult>;
}

const run = (result: HookResult): Effect.Effect<void, TransportError> =>
  Effect.isEffect(result) ? result : result instanceof Promise ? Effect.promise(() => result) : Effect.void;

const sequence = <A extends ReadonlyArray<unknown>>(
  hooks: ReadonlyArray<(...args: A) => HookResult>,
  args: A,
): Effect.Effect<void, TransportError> =>
  hooks.length === 1
    ? Effect.suspend(() => run(hooks[0]!(...args)))
    : Effect.forEach(hooks, (hook) => Effect.suspend(() => run(hook(...args))), {
      discard: true,
    });

/**
 * A plugin that runs `hooks.request` before and `hooks.response` after each
 * request. A hook that throws is a defect (a bug in the hook), not a
 * transport error; to fail the request, return `Effect.fail(transportError)`.
 * The plugin has both lanes: through `client.fetch` it runs no Effect unless
 * a hook returns one.
 *
 * @example
 * ```ts
 * import { Client, hooks, MockTransport } from "@switchyard/switchyard";
 * const seen: string[] = [];
 * await using client = Client.make({
 *   transport: MockTransport.make(() => new Response("ok")),
 *   plugins: [hooks({ request: [(r) => void seen.push(r.url)], response: [(res) => void seen.push(String(res.status))] })],
 * });
 * await (await client.fetch("http://api.test/")).text();
 * // seen: ["http://api.test/", "200"]
 * ```
 */
export const hooks = (hooks: Hooks): Plugin => {
  const before = hooks.request ?? [];
  const after = hooks.response ?? [];
  return (next) =>
    Transport.wrap(
      next,
      (request) => {
        const sent = before.length === 0
          ? next.handle(request)
          : Effect.andThen(sequence(before, [request]), next.handle(request));
        return after.length === 0
          ? sent
          : Effect.tap(sent, (response) => sequence(after, [response, request] as [Response, Request]));
      },
      // The Promise lane: synchronous hooks add no promise hop; an Effect hook is run on its own.
      (request) => {
        try {
          const ready = sequencePromise(before, [request], 0);
          const sent = ready === undefined ? next.fetch!(request) : ready.then(() => next.fetch!(request));
          return after.length === 0 ? sent : sent.then((response) => {
            const done = sequencePromise(after, [response, request] as [Response, Request], 0);
            return done === undefined ? response : done.then(() => response);
          });
        } catch (error) {
          return Promise.reject(error);
        }
      },
    );
};

/** A hook's result on the Promise lane: `undefined` when it finished synchronously. */
const runPromise = (result: HookResult): Promise<void> | undefined =>
  Effect.isEffect(result) ? Effect.runPromise(result) : result instanceof Promise ? result : undefined;

/** Runs `hooks` from `from` on, in order; `undefined` when all of them finished synchronously. */
const sequencePromise = <A extends ReadonlyArray<unknown>>(
  hooks: ReadonlyArray<(...args: A) => HookResult>,
  args: A,
  from: number,
): Promise<void> | undefined => {
  for (let i = from; i < hooks.length; i++) {
    const pending = runPromise(hooks[i]!(...args));
    if (pending !== undefined) return pending.then(() => sequencePromise(hooks, args, i + 1));
  }
  return undefined;
};
