/**
 * Mounts: a Transport that routes each request by its URL to one of several
 * transports, HTTPX's `mounts=` as a transport of its own (the shape HTTPX
 * proposed as `httpx.Mounts` in PR #3070). Keys follow `UrlPattern`; a `null`
 * value, or no matching key, sends the request to the fallback transport.
 *
 * @module
 */
import { Context, Effect, Exit, Layer, type Scope } from "effect";
import { InvalidOptions } from "../core/errors.ts";
import { redactUrl } from "../core/redact.ts";
import { isTransport, toTransport, Transport } from "../core/transport.ts";
import type { UrlPattern } from "./pattern.ts";
import { type Route, Router, urlOf } from "./router.ts";

/**
 * Why a URL goes where it goes.
 *
 * @example
 * ```ts
 * import { Mounts, Transport } from "@switchyard/switchyard";
 * import { Effect } from "effect";
 * const ok = Transport.make({ handle: () => Effect.succeed(new Response("ok")) });
 * const mounts = Mounts.make({ "all://*.internal": null, "all://": ok }, ok);
 * mounts.explain("http://db.internal/").reason;
 * // '"all://*.internal" wins over "all://": its host is longer; it is mounted to null, so the fallback transport handles it'
 * ```
 */
export interface MountExplanation {
  /** The URL, credentials redacted. */
  readonly url: string;
  /** The winning key, or `undefined` when no key matches. */
  readonly key: string | undefined;
  /** The transport that handles the URL. */
  readonly transport: Transport;
  /** Whether that is the fallback (a `null` mount, or no match). */
  readonly fallback: boolean;
  /** Every matching key, winner first. */
  readonly matches: ReadonlyArray<{ readonly key: string; readonly pattern: UrlPattern }>;
  /** The decision in one sentence. */
  readonly reason: string;
}

/**
 * The Transport `Mounts.make` returns: routes by URL, and can say why.
 *
 * @example
 * ```ts
 * import { Mounts, type MountsTransport, Transport } from "@switchyard/switchyard";
 * import { Effect } from "effect";
 * const ok = Transport.make({ handle: () => Effect.succeed(new Response("ok")) });
 * const mounts: MountsTransport = Mounts.make({ "https://": ok }, ok);
 * mounts.explain("https://api.test/").key; // "https://"
 * ```
 */
export interface MountsTransport extends Transport {
  /** Where `null` mounts and unmatched URLs go. */
  readonly fallback: Transport;
  /**
   * Why `url` (a string, a `URL` or a `Request`) goes where it goes.
   * @throws {InvalidUrl} when `url` is a string that is not an absolute URL, or not a string, URL or Request.
   */
  explain(url: string | URL | Request): MountExplanation;
}

/**
 * What `Mounts.make` accepts: a record, a `Map`, or `[key, transport]` pairs.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { type MountEntries, Transport } from "@switchyard/switchyard";
 * const direct = Transport.make({ handle: () => Effect.succeed(new Response("direct")) });
 * const entries: MountEntries<Transport | null> = [["all://*.internal", direct], ["all://localhost", null]];
 * ```
 */
export type MountEntries<T> = Readonly<Record<string, T>> | Iterable<readonly [string, T]>;

/**
 * `Mounts`'s constructors.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect";
 * import { Mounts, Transport } from "@switchyard/switchyard";
 * const reply = (text: string) => Transport.make({ handle: () => Effect.succeed(new Response(text)) });
 * // Each mounted layer is built once and closed with the layer's scope.
 * const live: Layer.Layer<Transport, unknown> = Mounts.layer(
 *   { "all://*.internal": Transport.layer(reply("internal")), "all://localhost": null },
 *   Transport.layer(reply("default")),
 * );
 * ```
 */
export interface MountsStatics {
  /**
   * A transport that hands each request to the transport its URL is mounted
   * on (`null`, or no match: `fallback`). `close()` closes every distinct
   * mounted transport and the fallback, once.
   * @throws {InvalidOptions} naming a bad key or value, or when `entries` is not a record, a Map or pairs.
   */
  make(entries: MountEntries<Transport | null>, fallback: Transport): MountsTransport;
  /**
   * Provides `Transport` as mounts: builds every mounted layer (and the
   * fallback's) in the layer's scope, each distinct layer once, and closes
   * everything when the scope closes. Plain transports given here are closed
   * by it too; layers close what they built. A bad key fails the layer with
   * `InvalidOptions` before anything is built.
   */
  layer<E = never, R = never>(
    entries: MountEntries<Transport | null | Layer.Layer<Transport, E, R>>,
    fallback: Transport | Layer.Layer<Transport, E, R>,
  ): Layer.Layer<Transport, E | InvalidOptions, Exclude<R, Scope.Scope>>;
  /**
   * The explanation for `url`, or `undefined` when `transport` did not come from `Mounts`.
   * @throws {InvalidUrl} as `MountsTransport.explain` does.
   */
  explain(transport: Transport, url: string | URL | Request): MountExplanation | undefined;
  /**
   * The winning key for `request` and the transport it goes to, by the same
   * compiled lookup as sending (cheap enough for a span); `undefined` when
   * `transport` is neither a `Mounts` transport nor a plugin built with
   * `Transport.wrap` or `Plugin.steps` over one (such a plugin shares its
   * `close` with what it wraps, which is how it is recognised).
   */
  route(transport: Transport, request: Request): MountRoute | undefined;
}

/**
 * Where `Mounts.route` says a request goes.
 *
 * @example
 * ```ts
 * import type { MountRoute } from "@switchyard/switchyard";
 * const describe = (r: MountRoute) => `${r.key ?? "(fallback)"} -> ${r.transport.kind}`;
 * ```
 */
export interface MountRoute {
  /** The winning key, or `undefined` when no key matches. */
  readonly key: string | undefined;
  /** The transport that handles the request. */
  readonly transport: Transport;
}

const explainers = new WeakMap<Transport, (url: string | URL | Request) => MountExplanation>();
/** By the Mounts transport and by its `close` (which `Transport.wrap` plugins pass through unchanged). */
const routers = new WeakMap<object, (request: Request) => MountRoute>();

const WHY = ["it names a port", "its host is longer", "its scheme is longer", "its path is longer", "it is narrower"];

const explainWith = (router: Router<Transport | null>, fallback: Transport) => (input: string | URL | Request) => {
  const url = urlOf(input); // InvalidUrl for a bad one
  const routes = router.explain(url);
  const [winner, runnerUp] = routes;
  let reason: string;
  if (winner === undefined) reason = "no key matches, so the fallback transport handles it";
  else {
    const slot = runnerUp ? winner.pattern.priority.findIndex((v, i) => v !== runnerUp.pattern.priority[i]) : -1;
    reason = runnerUp === undefined
      ? `"${winner.key}" is the only key that matches`
      : `"${winner.key}" wins over ${routes.slice(1).map((r) => `"${r.key}"`).join(", ")}: ${
        slot < 0 ? "it was mounted first" : WHY[slot]
      }`;
    if (winner.value === null) reason += "; it is mounted to null, so the fallback transport handles it";
  }
  return {
    url: redactUrl(url),
    key: winner?.key,
    transport: winner?.value ?? fallback,
    fallback: (winner?.value ?? null) === null,
    matches: routes.map((r: Route<Transport | null>) => ({ key: r.key, pattern: r.pattern })),
    reason,
  };
};

/** Runs every close, even when one dies, then reports the first failure. */
const closeAll = (transports: ReadonlyArray<Transport>): Effect.Effect<void> =>
  Effect.forEach(transports, (t) => Effect.exit(t.close())).pipe(
    Effect.flatMap((exits) => exits.find(Exit.isFailure) ?? Effect.void),
  );

const assemble = (
  router: Router<Transport | null>,
  fallback: Transport,
  owned: ReadonlyArray<Transport>,
): MountsTransport => {
  const pick = (request: Request): Transport => router.resolve(request)?.value ?? fallback;
  const base = Transport.make({
    kind: "mounts",
    // The hot path: one scan of `request.url` (no `new URL`), one indexed lookup, no Effect of our own.
    handle: (request) => pick(request).handle(request),
    fetch: (request) => pick(request).fetch(request),
    close: () => closeAll(owned),
  });
  const explain = explainWith(router, fallback);
  const mounts: MountsTransport = { ...base, fallback, explain };
  explainers.set(mounts, explain);
  const route = (request: Request): MountRoute => {
    const hit = router.resolve(request);
    return { key: hit?.key, transport: hit?.value ?? fallback };
  };
  routers.set(mounts, route);
  routers.set(mounts.close, route);
  return mounts;
};

const badValue = (key: string, value: unknown): InvalidOptions =>
  new InvalidOptions({
    option: key === "" && value === undefined ? "fallback" : `mounts[${JSON.stringify(key)}]`,
    received: value === undefined ? "undefined" : typeof value,
    expected: "a Transport, or null for the fallback transport",
  });

const make = (entries: MountEntries<Transport | null>, fallback: Transport): MountsTransport => {
  if (!isTransport(fallback)) throw badValue("", undefined);
  const spec = Router.make(entries);
  // Each distinct transport once, given a Promise lane if it came without one.
  const owned = new Map<Transport, Transport>();
  const own = (t: Transport): Transport => {
    let full = owned.get(t);
    if (full === undefined) owned.set(t, full = toTransport(t));
    return full;
  };
  const pairs: Array<[string, Transport | null]> = spec.routes.map((route) => {
    if (route.value === null) return [route.key, null];
    if (!isTransport(route.value)) throw badValue(route.key, route.value);
    return [route.key, own(route.value)];
  });
  const fallbackTransport = own(fallback);
  // `pairs` is already in priority order and the sort is stable: the ranks come out the same.
  return assemble(Router.make(pairs), fallbackTransport, [...owned.values()]);
};

const layer = <E = never, R = never>(
  entries: MountEntries<Transport | null | Layer.Layer<Transport, E, R>>,
  fallback: Transport | Layer.Layer<Transport, E, R>,
): Layer.Layer<Transport, E | InvalidOptions, Exclude<R, Scope.Scope>> =>
  Layer.effect(
    Transport,
    Effect.gen(function* () {
      // Compile first, so a bad key fails before any transport is built.
      const spec = yield* Effect.try({
        try: () => Router.make(entries),
        catch: (e) =>
          e instanceof InvalidOptions
            ? e
            : new InvalidOptions({ option: "mounts", received: String(e), expected: "mount keys" }),
      });
      const built = new Map<unknown, Transport>();
      const owned: Array<Transport> = [];
      const resolve = (value: Transport | Layer.Layer<Transport, E, R>, key: string) =>
        Effect.gen(function* () {
          const known = built.get(value);
          if (known !== undefined) return known;
          let transport: Transport;
          if (Layer.isLayer(value)) {
            transport = toTransport(Context.get(yield* Layer.build(value as Layer.Layer<Transport, E, R>), Transport));
          } else if (isTransport(value)) {
            transport = toTransport(value);
            owned.push(transport);
          } else return yield* Effect.fail(badValue(key, value));
          built.set(value, transport);
          return transport;
        });
      const pairs: Array<[string, Transport | null]> = [];
      for (const route of spec.routes) {
        pairs.push([route.key, route.value === null ? null : yield* resolve(route.value, route.key)]);
      }
      const fallbackTransport = yield* resolve(fallback, "");
      // `pairs` is already in priority order and the sort is stable: the ranks come out the same.
      const mounts = assemble(Router.make(pairs), fallbackTransport, owned);
      yield* Effect.addFinalizer(() => mounts.close());
      return mounts as Transport;
    }),
  ) as unknown as Layer.Layer<Transport, E | InvalidOptions, Exclude<R, Scope.Scope>>;

/**
 * Routes requests by URL to mounted transports.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { Mounts, Transport } from "@switchyard/switchyard";
 * const reply = (text: string) => Transport.make({ handle: () => Effect.succeed(new Response(text)) });
 * const transport = Mounts.make(
 *   { "all://*.internal": reply("internal"), "https://api.example.com/v2": reply("v2"), "all://localhost": null },
 *   reply("default"),
 * );
 * const response = await Effect.runPromise(transport.handle(new Request("http://db.internal/")));
 * await response.text(); // "internal"
 * Mounts.explain(transport, "http://localhost:8080/")?.fallback; // true
 * await Effect.runPromise(transport.close());
 * ```
 */
export const Mounts: MountsStatics = {
  make,
  layer,
  explain: (transport: Transport, url: string | URL | Request): MountExplanation | undefined =>
    typeof transport === "object" && transport !== null ? explainers.get(transport)?.(url) : undefined,
  route: (transport: Transport, request: Request): MountRoute | undefined =>
    typeof transport === "object" && transport !== null
      ? (routers.get(transport) ?? routers.get(transport.close))?.(request)
      : undefined,
};
