/**
 * `HttpTransport`: the network transport, HTTPX's `HTTPTransport` typed.
 * Sends each request with the runtime's own `fetch` (Deno: a
 * `Deno.HttpClient`; Bun: a `Bun.FetchSession`), never follows redirects (the
 * client does), streams responses, and fails with the error tree.
 *
 * @module
 */
import { Effect, type Layer } from "effect";
import { InvalidOptions, type TransportError } from "../core/errors.ts";
import { runtime } from "../core/runtime.ts";
import { Transport } from "../core/transport.ts";
import { bunEngine } from "./http_bun.ts";
import { denoEngine } from "./http_deno.ts";
import { type Engine, redactText } from "./http_engine.ts";
import { fullHandle } from "./http_attempts.ts";
import { type ExchangeConfig, fastHandle } from "./http_exchange.ts";
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

const build = (input: HttpTransportOptions | undefined): Transport => {
  const o = resolveHttpOptions(input);
  const engine = makeEngine(o);
  const schedule = o.retry ?? (o.retries > 0 ? httpxBackoff(o.retries) : undefined);
  const slots = o.limits.maxConnections === undefined ? undefined : new Slots(o.limits.maxConnections);
  const config: ExchangeConfig = { engine, timeout: o.timeout, slots, schedule, closed: { value: false } };
  const simple = schedule === undefined && slots === undefined && o.timeout.connect === undefined &&
    o.timeout.read === undefined && o.timeout.write === undefined && o.timeout.total === undefined;
  const handle: (request: Request) => Effect.Effect<Response, TransportError> = simple
    ? fastHandle(config)
    : fullHandle(config);
  return Transport.make({
    handle,
    close: () =>
      Effect.sync(() => {
        config.closed.value = true;
        engine.close();
      }),
  });
};

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
  make: (options?: HttpTransportOptions): Transport => build(options),
  layer: (options?: HttpTransportOptions): Layer.Layer<Transport, InvalidOptions> =>
    Transport.layer(
      Effect.try({
        try: () => build(options),
        catch: (error) =>
          error instanceof InvalidOptions
            ? error
            : new InvalidOptions({ option: "(construction)", received: String(error), expected: "valid options" }),
      }),
    ),
};
