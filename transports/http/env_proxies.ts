/**
 * Environment proxies by Switchyard's rules, for `HttpTransport` with
 * `trustEnv: true` (the default).
 *
 * Each runtime reads `HTTP_PROXY` / `NO_PROXY` by its own rules (Deno:
 * uppercase wins, `ALL_PROXY` beats the scheme variables, no `host:port`;
 * Bun: its own), so the same environment could send a request through
 * different proxies on Deno and on Bun, and neither matches HTTPX. Here a
 * request is proxied once, by one set of rules: `environmentProxies()`
 * (router/env.ts: HTTPX's, plus CIDR and `host:port`) is compiled into a
 * router at construction, and each request goes to the engine of its proxy
 * URL (built with that URL as an *explicit* proxy, which overrides the
 * runtime's env proxies on both runtimes) or to the direct engine.
 *
 * - The environment is read once, at construction, as HTTPX does: a variable
 *   changed later is not seen by an existing transport.
 * - Direct on Bun is a session with `proxy: false`: exactly direct.
 * - Direct on Deno is Deno's default client, and Deno builds the process's
 *   proxy variables into every `Deno.HttpClient` (even one with an explicit
 *   proxy, whose requests it still sends around the proxy when the process's
 *   `NO_PROXY` matches). So on Deno, where its rules and ours disagree (both
 *   `NO_PROXY` and `no_proxy` set to different values, `.example.com` for
 *   `example.com` itself, `host:port` entries, `ALL_PROXY` next to
 *   `HTTPS_PROXY`), Deno's rules can still decide for that request. Where they
 *   agree (one spelling per variable, hosts, IPs, CIDR ranges) the result is
 *   the same. On Bun our rules are the only ones.
 * - The engines of proxy URLs are built on first use on Deno (a client costs
 *   ~0.6 ms, and Deno's client accepts every proxy URL `environmentProxies`
 *   lets through); on Bun at construction (a session costs ~7 µs, and Bun
 *   refuses some, e.g. `socks5://`: that must fail at construction).
 *
 * @module
 */
import { Effect } from "effect";
import { InvalidOptions, ProxyError, type TransportError } from "../../core/errors.ts";
import { redactUrl } from "../../core/redact.ts";
import { Transport } from "../../core/transport.ts";
import { environmentProxies } from "../../router/env.ts";
import { Router } from "../../router/router.ts";
import { describeRuntimeError } from "./engine.ts";
import type { ResolvedHttpOptions } from "./options.ts";

/**
 * Environment variables, by name (what `environmentProxies` reads).
 *
 * @example
 * ```ts
 * import type { Env } from "./env_proxies.ts";
 * const env: Env = { HTTPS_PROXY: "http://proxy.internal:3128", NO_PROXY: "localhost" };
 * ```
 */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * One engine with its two lanes: what the env-proxy router picks from. Its
 * `close` is synchronous (the engine's client or session).
 */
export interface EngineTransport {
  readonly handle: (request: Request) => Effect.Effect<Response, TransportError>;
  readonly fetch: (request: Request) => Promise<Response>;
  /** Frees the engine. */
  readonly close: () => void;
}

/**
 * The env proxy mounts that apply to `o`, or `undefined` when there is
 * nothing to route: `trustEnv` is off, a `proxy` or `uds` is explicit (an
 * explicit proxy wins, a socket is never proxied), or the environment names
 * no proxy (then no router is built: the common case costs nothing).
 *
 * @throws {InvalidOptions} naming the variable, for a malformed value.
 *
 * @example
 * ```ts
 * import { envProxyMounts } from "./env_proxies.ts";
 * import { resolveHttpOptions } from "./options.ts";
 * envProxyMounts(resolveHttpOptions({}), { HTTP_PROXY: "proxy:3128" }); // { "http://": "http://proxy:3128" }
 * envProxyMounts(resolveHttpOptions({ trustEnv: false }), { HTTP_PROXY: "proxy:3128" }); // undefined
 * ```
 */
export const envProxyMounts = (
  o: ResolvedHttpOptions,
  env: Env | undefined,
): Record<string, string | null> | undefined => {
  if (!o.trustEnv || o.proxy !== undefined || o.uds !== undefined) return undefined;
  const mounts = environmentProxies(env);
  for (const key in mounts) if (mounts[key] !== null) return mounts;
  return undefined;
};

/**
 * The options of the engine for one env proxy URL: `o` with that URL as an explicit proxy.
 *
 * @example
 * ```ts
 * import { proxiedOptions } from "./env_proxies.ts";
 * import { resolveHttpOptions } from "./options.ts";
 * proxiedOptions(resolveHttpOptions({}), "http://proxy:3128").proxy?.url.host; // "proxy:3128"
 * ```
 */
export const proxiedOptions = (o: ResolvedHttpOptions, url: string): ResolvedHttpOptions => ({
  ...o,
  proxy: { url: new URL(url), headers: {} },
});

/** One distinct proxy URL and its engine, built on first use. */
interface ProxySlot {
  readonly url: string;
  engine: EngineTransport | undefined;
}

/** A runtime that refused an env proxy's engine: named as the environment's doing. */
const refusedByEnv = (url: string, error: unknown): unknown =>
  error instanceof InvalidOptions
    ? new InvalidOptions({
      option: "trustEnv",
      received: `true, and the environment names the proxy ${redactUrl(url)} (${error.option}: ${error.received})`,
      expected: `${error.expected}; or pass \`trustEnv: false\``,
      ...(error.runtime === undefined ? {} : { runtime: error.runtime }),
    })
    : error;

/** An engine that could not be built on first use: every request is a ProxyError (nothing was sent). */
const brokenEngineTransport = (url: string, error: unknown): EngineTransport => {
  const fail = (request: Request) =>
    new ProxyError(request, {
      detail: `could not build a client for the proxy ${redactUrl(url)} (${describeRuntimeError(error)})`,
      cause: error,
    });
  return {
    handle: (request) => Effect.fail(fail(request)),
    fetch: (request) => Promise.reject(fail(request)),
    close: () => {},
  };
};

/**
 * A transport that sends each request through the engine its env proxy
 * mount names (`null`, or no match: `direct`), on either lane (resolve, then
 * the chosen engine's lane). Proxy engines are built at construction
 * (`"eager"`) or on first use (`"lazy"`), as the runtime's `EngineFactory`
 * says. `close()` sets `closed` and closes every engine built.
 *
 * @throws {InvalidOptions} with eager engines, when the runtime refuses a proxy URL (e.g. `socks5://` on Bun), as `trustEnv`.
 */
export const envRouted = (
  mounts: Readonly<Record<string, string | null>>,
  direct: EngineTransport,
  proxied: (url: string) => EngineTransport,
  build: "eager" | "lazy",
  closed: { value: boolean },
): Transport => {
  const slots = new Map<string, ProxySlot>();
  const entries: Array<[string, ProxySlot | null]> = [];
  for (const [key, url] of Object.entries(mounts)) {
    if (url === null) entries.push([key, null]);
    else {
      let slot = slots.get(url);
      if (slot === undefined) slots.set(url, slot = { url, engine: undefined });
      entries.push([key, slot]);
    }
  }
  const router = Router.make(entries);
  const buildSlot = (slot: ProxySlot): EngineTransport => {
    try {
      return slot.engine = proxied(slot.url);
    } catch (error) {
      return brokenEngineTransport(slot.url, error);
    }
  };
  if (build === "eager") {
    for (const slot of slots.values()) {
      try {
        slot.engine = proxied(slot.url);
      } catch (error) {
        for (const built of slots.values()) built.engine?.close();
        direct.close();
        throw refusedByEnv(slot.url, error);
      }
    }
  }
  // A closed transport builds nothing: the direct engine's precheck reports it closed.
  const pick = (request: Request): EngineTransport => {
    const slot = router.resolve(request)?.value;
    return slot == null ? direct : slot.engine ?? (closed.value ? direct : buildSlot(slot));
  };
  return Transport.make({
    kind: "http",
    handle: (request) => pick(request).handle(request),
    fetch: (request) => pick(request).fetch(request),
    close: () =>
      Effect.sync(() => {
        closed.value = true;
        direct.close();
        for (const slot of slots.values()) slot.engine?.close();
      }),
  });
};
