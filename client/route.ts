/**
 * The one place where a request meets its transport: the client's default
 * transport and the user's mounts, composed into a single Transport.
 * Environment proxies are a property of the network transport
 * (`HttpTransport`'s `trustEnv`), so they never reach a mock or an
 * in-process app, and a custom `HttpTransport` keeps them.
 *
 * @module
 */
import { Effect } from "effect";
import { toTransport, type Transport } from "../core/transport.ts";
import { type MountExplanation, Mounts } from "../router/mounts.ts";
import { HttpTransport } from "../transports/http/mod.ts";

/** What `buildRoute` needs from the client options. */
export interface RouteOptions {
  readonly transport?: Transport;
  readonly mounts?: Readonly<Record<string, Transport | null>>;
  readonly trustEnv?: boolean;
}

/** The routed transport, and every transport the client owns (and closes). */
export interface RoutedTransport {
  readonly transport: Transport;
  readonly owned: ReadonlyArray<Transport>;
  /** Why a URL goes where it goes (a single "fallback" answer without mounts). */
  readonly explain: (url: string | URL) => MountExplanation;
  /** The default transport when it was built here (not given): the one to free if the client fails to build. */
  readonly created?: Transport;
}

/** Composes the default transport (built here when not given) with the mounts. */
export const buildRoute = (options: RouteOptions): RoutedTransport => {
  const created = options.transport === undefined
    ? HttpTransport.make(options.trustEnv === undefined ? undefined : { trustEnv: options.trustEnv })
    : undefined;
  const fallback = toTransport(options.transport ?? created!);
  if (options.mounts === undefined || Object.keys(options.mounts).length === 0) {
    // No mounts: an empty table routes everything to the default transport (and can say so).
    const none = Mounts.make({}, fallback);
    return { transport: fallback, owned: [fallback], explain: none.explain, ...(created ? { created } : {}) };
  }
  // Mounts.close closes every mounted transport and the fallback, each once.
  let routed;
  try {
    routed = Mounts.make(options.mounts, fallback);
  } catch (error) {
    if (created) Effect.runSync(created.close());
    throw error;
  }
  return { transport: routed, owned: [routed], explain: routed.explain, ...(created ? { created } : {}) };
};
