/**
 * `HttpTransport`: the network transport, HTTPX's `HTTPTransport` typed.
 * Sends each request with the runtime's own `fetch` (Deno: a
 * `Deno.HttpClient`; Bun: a `Bun.FetchSession`), never follows redirects (the
 * client does), streams responses, and fails with the error tree.
 *
 * Without retries, timeouts or a pool limit it also has a Promise lane
 * (`transport.fetch`, what `client.fetch` uses: no Effect run). With
 * `trustEnv` (the default), environment proxies are applied by Switchyard's
 * rules, read once here at construction (http_env.ts); with none set, the
 * transport is the bare engine: no router, no wrapper.
 *
 * @module
 */
import { Effect, type Layer } from "effect";
import { InvalidOptions } from "../core/errors.ts";
import { runtime } from "../core/runtime.ts";
import { Transport } from "../core/transport.ts";
import { bunEngine } from "./http_bun.ts";
import { denoEngine } from "./http_deno.ts";
import { type Engine, redactText } from "./http_engine.ts";
import { fullHandle } from "./http_attempts.ts";
import { directOptions, type Env, envProxyMounts, envRouted, type Leg, proxiedOptions } from "./http_env.ts";
import { type ExchangeConfig, fastFetch, fastHandle } from "./http_exchange.ts";
import { type HttpTransportOptions, type ResolvedHttpOptions, resolveHttpOptions } from "./http_options.ts";
import { Slots } from "./http_pool.ts";
import { httpxBackoff } from "./retry.ts";

export type {
  HttpLimits,
  HttpProxyOption,
  HttpTimeouts,
  HttpTlsOptions,
  HttpTransportOptions,
} from "./http_options.ts";

const makeEngine = (o: ResolvedHttpOptions): Engine => {
  try {
    return runtime.name === "deno" ? denoEngine(o) : bunEngine(o);
  } catch (error) {
    if (error instanceof InvalidOptions) throw error;
    // The runtime refused its own client (a PEM it cannot parse, an address it cannot bind).
    throw new InvalidOptions({
      option: "(client)",
      received: redactText(error instanceof Error ? error.message : String(error)),
      expected: "options this runtime's HTTP client accepts",
      runtime: runtime.name,
    });
  }
};

/** What every engine of one transport shares: the retry plan, the pool, and the closed flag. */
interface Shared {
  readonly schedule: ExchangeConfig["schedule"];
  readonly slots: Slots | undefined;
  /** No retries, timeouts or pool limit: `fastHandle`, and a Promise lane. */
  readonly simple: boolean;
  readonly closed: { value: boolean };
}

/** One engine with its two faces. */
const makeLeg = (o: ResolvedHttpOptions, shared: Shared): Leg => {
  const engine = makeEngine(o);
  const config: ExchangeConfig = {
    engine,
    timeout: o.timeout,
    slots: shared.slots,
    schedule: shared.schedule,
    closed: shared.closed,
  };
  const close = () => engine.close();
  // The full path needs timers and fibers: no Promise lane there (the client falls back to `handle`).
  return shared.simple
    ? { handle: fastHandle(config), fetch: fastFetch(config), close }
    : { handle: fullHandle(config), fetch: undefined, close };
};

const build = (input: HttpTransportOptions | undefined, env: Env | undefined): Transport => {
  const o = resolveHttpOptions(input);
  const schedule = o.retry ?? (o.retries > 0 ? httpxBackoff(o.retries) : undefined);
  // One pool for every engine: `limits.maxConnections` bounds the transport, whichever proxy a request takes.
  const slots = o.limits.maxConnections === undefined ? undefined : new Slots(o.limits.maxConnections);
  const simple = schedule === undefined && slots === undefined && o.timeout.connect === undefined &&
    o.timeout.read === undefined && o.timeout.write === undefined && o.timeout.total === undefined;
  const shared: Shared = { schedule, slots, simple, closed: { value: false } };
  // Read once, here (as HTTPX does); a malformed variable fails construction, naming it.
  const mounts = envProxyMounts(o, env);
  const direct = makeLeg(directOptions(o), shared);
  if (mounts === undefined) {
    // The common case: no router, no wrapper; the engine's own faces.
    return Transport.make({
      handle: direct.handle,
      ...(direct.fetch === undefined ? {} : { fetch: direct.fetch }),
      close: () =>
        Effect.sync(() => {
          shared.closed.value = true;
          direct.close();
        }),
    });
  }
  return envRouted(mounts, direct, (url) => makeLeg(proxiedOptions(o, url), shared), shared.closed);
};

/**
 * `HttpTransport.make` with `env` read instead of the process environment
 * for `trustEnv` (exactly what `environmentProxies(env)` reads): a seam for
 * tests and embedders, not part of the package's surface. On Deno, a
 * variable given here and not set in the process is never seen by Deno's
 * own client, so only Switchyard's rules apply to it.
 *
 * @example
 * ```ts
 * import { makeHttpTransport } from "./http.ts";
 * const transport = makeHttpTransport({}, { HTTP_PROXY: "http://127.0.0.1:3128", NO_PROXY: "localhost" });
 * ```
 */
export const makeHttpTransport = (options?: HttpTransportOptions, env?: Env): Transport => build(options, env);

/**
 * `HttpTransport.make` and `HttpTransport.layer`.
 *
 * @example
 * ```ts
 * import { HttpTransport, type HttpTransportStatics } from "@switchyard/switchyard";
 * const factory: HttpTransportStatics = HttpTransport;
 * const transport = factory.make({ timeout: 5_000 });
 * ```
 */
export interface HttpTransportStatics {
  /**
   * Builds a network transport. Throws `InvalidOptions` synchronously for a
   * bad option, or one this runtime cannot honour (the error names it).
   */
  make(options?: HttpTransportOptions): Transport;
  /**
   * The `Transport` service backed by a network transport, closed (its
   * client, session and sockets freed) when the layer's scope closes.
   */
  layer(options?: HttpTransportOptions): Layer.Layer<Transport, InvalidOptions>;
}

/**
 * The network transport.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { HttpTransport } from "@switchyard/switchyard";
 *
 * // Promise style
 * const transport = HttpTransport.make({ retries: 3, timeout: { read: 10_000 } });
 * const response = await Effect.runPromise(transport.handle(new Request("http://127.0.0.1:8080/")));
 * console.log(response.status, await response.text());
 * await Effect.runPromise(transport.close());
 *
 * // Effect style: a Layer that closes what it opened
 * const DockerLive = HttpTransport.layer({ uds: "/var/run/docker.sock" });
 * ```
 */
export const HttpTransport: HttpTransportStatics = {
  make: (options?: HttpTransportOptions): Transport => build(options, undefined),
  layer: (options?: HttpTransportOptions): Layer.Layer<Transport, InvalidOptions> =>
    Transport.layer(
      Effect.try({
        try: () => build(options, undefined),
        catch: (error) =>
          error instanceof InvalidOptions
            ? error
            : new InvalidOptions({ option: "(construction)", received: String(error), expected: "valid options" }),
      }),
    ),
};
