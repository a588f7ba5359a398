/**
 * `tracing`: one OpenTelemetry HTTP client span per attempt, on Effect's
 * `Tracer` (so `effect/observability`'s OTLP exporter exports them as they
 * are), and W3C trace context on the outgoing request.
 *
 * When is a tracer installed? On the Effect lane, when the fiber's `Tracer`
 * is not Effect's default `nativeTracer` (which keeps spans in memory and
 * exports nothing; Effect documents that comparison for exactly this), or
 * when `tracing({ tracer })` names one. The Promise lane has no fiber to ask,
 * so there the tracer is the explicit `tracer` option only; without it the
 * plugin's Promise lane *is* the next transport's (not even a wrapper call):
 * `client.fetch` stays on the Promise lane and creates no span.
 *
 * @module
 */
import type { Tracer } from "effect";
import { custom, object, optional } from "../core/options.ts";
import type { Plugin } from "../core/plugin.ts";
import { lazyPlugin } from "./lazy.ts";
import type { Propagation } from "./span.ts";

/**
 * Options of `tracing`.
 *
 * @example
 * ```ts
 * import { Tracer } from "effect";
 * import type { TracingOptions } from "@switchyard/switchyard";
 * const spans: Tracer.Span[] = [];
 * const tracer = Tracer.make({ span: (o) => { const s = new Tracer.NativeSpan(o); spans.push(s); return s; } });
 * const options: TracingOptions = { tracer, propagate: "w3c" };
 * ```
 */
export interface TracingOptions {
  /**
   * The tracer, for both lanes. Without it the Effect lane uses the fiber's
   * tracer when one is installed, and the Promise lane makes no spans.
   */
  readonly tracer?: Tracer.Tracer;
  /**
   * Trace context on the outgoing request: `"w3c"` (default: `traceparent`,
   * with the caller's `tracestate` passed on untouched), `"w3c+b3"` (also
   * Zipkin's `b3`), or `"none"`. Effect's `Tracer.DisablePropagation` turns
   * it off on the Effect lane too.
   */
  readonly propagate?: Propagation;
}

const checkOptions = object({
  tracer: optional(
    custom(
      (u): u is Tracer.Tracer => typeof u === "object" && u !== null && typeof (u as Tracer.Tracer).span === "function",
      "a Tracer (Tracer.make({ span }))",
    ),
  ),
  propagate: optional(
    custom((u): u is Propagation => u === "w3c" || u === "w3c+b3" || u === "none", '"w3c", "w3c+b3" or "none"'),
  ),
});

/**
 * A plugin that makes one client span per attempt, following
 * OpenTelemetry's HTTP client conventions: name `{method}`;
 * `http.request.method`, `url.full` (credentials and secret-looking query
 * values redacted), `server.address`, `server.port`,
 * `http.response.status_code`, `error.type` (the status of a 4xx/5xx, the
 * tag of a failure), `http.request.resend_count` (from redirects, `retry` and
 * `balance`, with `switchyard.resend.reason`), plus `switchyard.mount` (the
 * winning mount key) and `switchyard.transport` (the kind of the transport
 * that sends it). The request carries W3C `traceparent`.
 *
 * Put it last among the plugins (`[retry(), circuitBreaker(), tracing()]`):
 * inside `retry` it sees every attempt. `network.protocol.version` is not
 * set: fetch does not say which protocol it used, and the conventions ask
 * for it only when it is known.
 *
 * @example Spans in memory, on the Promise lane
 * ```ts
 * import { Tracer } from "effect";
 * import { Client, HandlerTransport, tracing } from "@switchyard/switchyard";
 * const spans: Tracer.NativeSpan[] = [];
 * const tracer = Tracer.make({ span: (o) => { const s = new Tracer.NativeSpan(o); spans.push(s); return s; } });
 * const app = (request: Request) => new Response(request.headers.get("traceparent"));
 * await using client = Client.make({ transport: HandlerTransport.make(app), plugins: [tracing({ tracer })] });
 * const sent = await (await client.fetch("http://app.test/")).text();
 * console.assert(spans[0]!.name === "GET" && sent.includes(spans[0]!.spanId));
 * ```
 * @throws {InvalidOptions} naming a bad option.
 */
export const tracing = (options?: TracingOptions): Plugin => {
  const o = checkOptions(options, "tracing");
  const explicit = o.tracer;
  const how = o.propagate ?? "w3c";
  // Spans and propagation load with the first request (plugins/lazy.ts).
  const lazy = lazyPlugin("tracing", () => import("./tracing_lanes.ts").then((m) => m.tracingLanes(explicit, how)));
  if (explicit !== undefined) return lazy;
  // No tracer for the Promise lane: the next transport's lane itself, at no cost, and nothing to load for it.
  const plugin: Plugin = (next) => ({ ...lazy(next), fetch: next.fetch });
  Object.defineProperty(plugin, "name", { value: "tracing" });
  return plugin;
};
