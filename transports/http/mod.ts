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
import { InvalidOptions } from "../../core/errors.ts";
import { runtime } from "../../core/runtime.ts";
import { runLane, Transport } from "../../core/transport.ts";
import type { PathConfig } from "./attempt.ts";
import { bunEngines } from "./bun.ts";
import { denoEngines } from "./deno.ts";
import type { EngineFactory } from "./engine.ts";
import { redactText } from "../../core/redact.ts";
import { type EngineTransport, type Env, envProxyMounts, envRouted, proxiedOptions } from "./env_proxies.ts";
import { fullHandle } from "./full_path.ts";
import { InFlight } from "./in_flight.ts";
import { type HttpTransportOptions, type ResolvedHttpOptions, resolveHttpOptions } from "./options.ts";
import { httpxBackoff } from "./retry.ts";
import { simpleFetch, simpleHandle } from "./simple_path.ts";

export type { HttpLimits, HttpProxyOption, HttpTimeouts, HttpTlsOptions, HttpTransportOptions } from "./options.ts";

/** This runtime's engines: the one place the transports branch on the runtime. */
const engines: EngineFactory | undefined = runtime.name === "deno"
  ? denoEngines
  : runtime.name === "bun"
  ? bunEngines
  : undefined;

const makeEngine = (o: ResolvedHttpOptions) => {
  if (engines === undefined) {
    throw new InvalidOptions({
      option: "(runtime)",
      received: "a runtime that is neither Deno nor Bun",
      expected:
        "Deno 2.9+ or Bun 1.4+ (HttpTransport sends with their own fetch); in-process and mock transports work anywhere",
    });
  }
  try {
    return engines.make(o);
  } catch (error) {
    if (error instanceof InvalidOptions) throw error;
    // The runtime refused its own client (a PEM it cannot parse, an address it cannot bind).
    throw new InvalidOptions({
      option: "(client)",
      received: redactText(error instanceof Error ? error.message : String(error)),
      expected: "options this runtime's HTTP client accepts",
      runtime: engines.runtime,
    });
  }
};

/** What every engine of one transport shares: the retry plan, the in-flight bound, and the closed flag. */
interface Shared {
  readonly schedule: PathConfig["schedule"];
  readonly inFlight: InFlight | undefined;
  /** No retries, timeouts or pool limit: the simple path, with a Promise lane of its own. */
  readonly simple: boolean;
  readonly closed: { value: boolean };
}

/** One engine with its two lanes. */
const engineTransport = (o: ResolvedHttpOptions, shared: Shared): EngineTransport => {
  const engine = makeEngine(o);
  const config: PathConfig = {
    engine,
    timeout: o.timeout,
    inFlight: shared.inFlight,
    schedule: shared.schedule,
    closed: shared.closed,
  };
  const close = () => engine.close();
  if (shared.simple) return { handle: simpleHandle(config), fetch: simpleFetch(config), close };
  // The full path needs timers and fibers: its Promise lane is its Effect lane, run (the derived lane).
  const handle = fullHandle(config);
  return { handle, fetch: (request) => runLane(handle(request), request.signal), close };
};

const build = (input: HttpTransportOptions | undefined, env: Env | undefined): Transport => {
  const o = resolveHttpOptions(input);
  const schedule = o.retry ?? (o.retries > 0 ? httpxBackoff(o.retries) : undefined);
  // One bound for every engine: `limits.maxConnections` bounds the transport, whichever proxy a request takes.
  const inFlight = o.limits.maxConnections === undefined ? undefined : new InFlight(o.limits.maxConnections);
  const simple = schedule === undefined && inFlight === undefined && o.timeout.connect === undefined &&
    o.timeout.read === undefined && o.timeout.write === undefined && o.timeout.total === undefined;
  const shared: Shared = { schedule, inFlight, simple, closed: { value: false } };
  // Read once, here (as HTTPX does); a malformed variable fails construction, naming it.
  const mounts = envProxyMounts(o, env);
  const direct = engineTransport(engines?.directOptions(o) ?? o, shared);
  if (mounts === undefined) {
    // The common case: no router, no wrapper; the engine's own lanes.
    return Transport.make({
      kind: "http",
      handle: direct.handle,
      fetch: direct.fetch,
      close: () =>
        Effect.sync(() => {
          shared.closed.value = true;
          direct.close();
        }),
    });
  }
  return envRouted(
    mounts,
    direct,
    (url) => engineTransport(proxiedOptions(o, url), shared),
    engines!.proxyEngines,
    shared.closed,
  );
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
 * import { Effect } from "effect";
 * import { makeHttpTransport } from "./mod.ts";
 * const transport = makeHttpTransport({}, { HTTP_PROXY: "http://127.0.0.1:3128", NO_PROXY: "localhost" });
 * await Effect.runPromise(transport.close());
 * ```
 */
export const makeHttpTransport = (options?: HttpTransportOptions, env?: Env): Transport => build(options, env);

/**
 * `HttpTransport.make` and `HttpTransport.layer`.
 *
 * @example The constructors as a value
 * ```ts
 * import { Effect } from "effect";
 * import { HttpTransport, type HttpTransportStatics } from "@switchyard/switchyard";
 * const factory: HttpTransportStatics = HttpTransport;
 * const transport = factory.make({ timeout: 5_000 });
 * await Effect.runPromise(transport.close());
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
 * @example Both lanes, against a loopback server
 * ```ts
 * import { Effect } from "effect";
 * import { HttpTransport } from "@switchyard/switchyard";
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("hi"));
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 *
 * const transport = HttpTransport.make({ retries: 3, timeout: { read: 10_000 } });
 * const viaPromise = await transport.fetch(new Request(url)); // the Promise lane
 * console.assert((await viaPromise.text()) === "hi");
 * const viaEffect = await Effect.runPromise(transport.handle(new Request(url))); // the Effect lane
 * console.assert((await viaEffect.text()) === "hi");
 * await Effect.runPromise(transport.close());
 * await server.shutdown();
 * ```
 *
 * @example A Layer that closes what it opened
 * ```ts
 * import { HttpTransport } from "@switchyard/switchyard";
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
