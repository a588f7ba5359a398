/**
 * The lanes of `auth()` (auth.ts), loaded with its first request: each
 * request's scheme from the rules, and the flows that answer a challenge.
 *
 * @module
 */
import { Effect } from "effect";
import type { Plugin } from "../core/plugin.ts";
import { runLane, Transport } from "../core/transport.ts";
import type { Router } from "../router/router.ts";
import { runFlowEffect, runFlowPromise, withAuthorization } from "./auth_flow.ts";
import type { SchemeLogic } from "./auth_scheme.ts";

/**
 * The auth plugin over compiled rules: the scheme logic per origin (`null`:
 * no credentials there), and how many body bytes a challenge may replay.
 *
 * @example
 * ```ts
 * import { Router } from "../router/router.ts";
 * import { authLanes } from "./auth_lanes.ts";
 * const plugin = authLanes(Router.make<null>({ "all://": null }), 1024);
 * ```
 */
export const authLanes = (router: Router<SchemeLogic | null>, replayLimit: number): Plugin => {
  const plugin: Plugin = (next) =>
    Transport.wrap(next, {
      name: "auth",
      handle: (request) => {
        const logic = router.resolve(request)?.value;
        if (logic == null) return next.handle(request);
        if (logic.fixed !== undefined) return next.handle(withAuthorization(request, logic.fixed));
        const send = (header: string | undefined) =>
          logic.retry === undefined
            ? next.handle(withAuthorization(request, header))
            : runFlowEffect(logic, request, header, replayLimit, next);
        const first = logic.first(request);
        return Effect.isEffect(first) ? Effect.flatMap(first, send) : send(first);
      },
      fetch: (request, nextFetch) => {
        const logic = router.resolve(request)?.value;
        if (logic == null) return nextFetch(request);
        // Basic and a static token: one header set, nothing else.
        if (logic.fixed !== undefined) return nextFetch(withAuthorization(request, logic.fixed));
        const send = (header: string | undefined) =>
          logic.retry === undefined
            ? nextFetch(withAuthorization(request, header))
            : runFlowPromise(logic, request, header, replayLimit, nextFetch);
        const first = logic.first(request);
        return Effect.isEffect(first) ? runLane(first, request.signal).then(send) : send(first);
      },
    });
  return plugin;
};
