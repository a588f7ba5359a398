/**
 * Per-fiber overrides: part of an Effect program runs with other mounts, or
 * another transport, without passing a client down. `Client.withMounts(...)`
 * and `Client.withTransport(...)` provide an `Override` to the effect they
 * wrap (an Effect `Reference`, so it reaches the fibers that effect forks and
 * ends with it); every client's Effect lane reads it once per request, under
 * the plugins and above the client's own routing. With no override the read
 * is all it costs, and the Promise lane (which has no fiber) never reads it.
 *
 * @module
 */
import { Context, Effect } from "effect";
import { InvalidOptions } from "../core/errors.ts";
import { isTransport, toTransport, Transport } from "../core/transport.ts";
import type { MountEntries } from "../router/mounts.ts";
import { Router } from "../router/router.ts";

/** One override: a transport for a request, or `undefined` to ask the next (outer) one. */
export interface Override {
  readonly pick: (request: Request) => Transport | undefined;
  readonly outer: Override | undefined;
}

/** The override in effect for the current fiber (none by default). */
export const CurrentOverride: Context.Reference<Override | undefined> = Context.Reference<Override | undefined>(
  "switchyard/Client/Override",
  { defaultValue: () => undefined },
);

/** The transport the innermost override that has an opinion picks, or `undefined`. */
const resolve = (override: Override | undefined, request: Request): Transport | undefined => {
  for (let o = override; o !== undefined; o = o.outer) {
    const picked = o.pick(request);
    if (picked !== undefined) return picked;
  }
  return undefined;
};

/**
 * `routed` with overrides honoured on its Effect lane: the point under the
 * plugins where `Client.withMounts` / `Client.withTransport` take effect.
 */
export const overridable = (routed: Transport): Transport => ({
  ...(routed.kind === undefined ? {} : { kind: routed.kind }),
  handle: (request) =>
    Effect.withFiber((fiber) => (resolve(fiber.getRef(CurrentOverride), request) ?? routed).handle(request)),
  fetch: routed.fetch,
  // The very same `close`: it identifies the routed transport (`Mounts.route` finds mounts through it).
  close: routed.close,
});

/** What an override picks for a request, compiled once. */
export type Pick = Override["pick"];

/**
 * Picks by mount keys (a `null` value, or no match: the next override, then the client's own routing).
 * @throws {InvalidOptions} naming a bad key or value.
 */
export const mountsPick = (entries: MountEntries<Transport | null>): Pick => {
  const router = Router.make(entries);
  const pairs: Array<[string, Transport | null]> = router.routes.map((route) => {
    if (route.value !== null && !isTransport(route.value)) {
      throw new InvalidOptions({
        option: `mounts[${JSON.stringify(route.key)}]`,
        received: typeof route.value,
        expected: "a Transport, or null for the client's own routing",
      });
    }
    return [route.key, route.value === null ? null : toTransport(route.value)];
  });
  const compiled = Router.make(pairs);
  return (request) => compiled.resolve(request)?.value ?? undefined;
};

/**
 * Picks `transport` for every request.
 * @throws {InvalidOptions} when `transport` is not one.
 */
export const transportPick = (transport: Transport): Pick => {
  if (!isTransport(transport)) {
    throw new InvalidOptions({
      option: "transport",
      received: transport === null ? "null" : typeof transport,
      expected: "a Transport (an object with handle(request) and close())",
    });
  }
  const full = toTransport(transport);
  return () => full;
};

/** The Effect-face wrapper: runs `effect` with `pick` in effect, on top of any override already there. */
export const withOverride = (pick: Pick) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) =>
    Effect.provideService(effect, CurrentOverride, { pick, outer: fiber.getRef(CurrentOverride) })
  );

/** `routed`, with `pick` consulted first on both lanes: the routing of a client made by `client.withMounts`. */
export const pickedFirst = (routed: Transport, pick: Pick): Transport =>
  Transport.make({
    ...(routed.kind === undefined ? {} : { kind: routed.kind }),
    handle: (request) => (pick(request) ?? routed).handle(request),
    fetch: (request) => (pick(request) ?? routed).fetch(request),
  });
