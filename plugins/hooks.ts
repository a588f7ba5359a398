/**
 * Request and response hooks (HTTPX's `event_hooks`), as a plugin written on
 * `Plugin.steps`: each hook is one step, so both lanes run the same hooks in
 * the same order.
 *
 * @module
 */
import type { Effect } from "effect";
import type { TransportError } from "../core/errors.ts";
import { Transport } from "../core/transport.ts";
import { Plugin } from "../core/plugin.ts";
import { array, func, object, optional } from "../core/options.ts";

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
  /** Run in order before the request is handed on; may edit its headers. */
  readonly request?: ReadonlyArray<(request: Request) => HookResult>;
  /** Run in order when the response headers arrive, before the caller sees the response. */
  readonly response?: ReadonlyArray<(response: Response, request: Request) => HookResult>;
}

const hook = func<(...args: never[]) => HookResult>("a function");
const checkHooks = object({
  request: optional(array(hook, "an array of functions (request) => void")),
  response: optional(array(hook, "an array of functions (response, request) => void")),
});

/**
 * A plugin that runs `hooks.request` before and `hooks.response` after each
 * request. A hook that throws is a bug in the hook (a defect on the Effect
 * face); to fail the request, throw or return `Effect.fail(transportError)`.
 * Through `client.fetch` it runs no Effect unless a hook returns one.
 *
 * @example Hooks on every hop
 * ```ts
 * import { Client, hooks, MockTransport } from "@switchyard/switchyard";
 * const seen: string[] = [];
 * await using client = Client.make({
 *   transport: MockTransport.make(() => new Response("ok")),
 *   plugins: [hooks({ request: [(r) => void seen.push(r.url)], response: [(res) => void seen.push(String(res.status))] })],
 * });
 * await (await client.fetch("http://api.test/")).text();
 * console.assert(seen.join() === "http://api.test/,200");
 * ```
 */
export const hooks = (spec: Hooks): Plugin => {
  // Checked at construction (a typo or a non-function is an InvalidOptions now, not a TypeError per request).
  const hooks = checkHooks(spec, "hooks") as Hooks;
  // One step per hook: request hooks outermost first, response hooks innermost first, so each list runs in order.
  const layers: Array<Plugin> = [
    ...(hooks.request ?? []).map((hook) => Plugin.steps({ name: "hooks", onRequest: (request) => hook(request) })),
    ...(hooks.response ?? []).map((hook) => Plugin.steps({ name: "hooks", onResponse: (r, q) => hook(r, q) }))
      .reverse(),
  ];
  const plugin: Plugin = (next) => Transport.compose(next, layers);
  Object.defineProperty(plugin, "name", { value: "hooks" });
  return plugin;
};
