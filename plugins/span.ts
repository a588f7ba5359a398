/**
 * One HTTP client span, per OpenTelemetry's semantic conventions for HTTP
 * clients (v1.23+, stable): what `tracing` records at the start and at the
 * end of an attempt, written once for both lanes. The lanes differ only in
 * where the tracer, the parent span and the clock come from.
 *
 * @module
 */
import { Cause, Context, Exit, Option, type Tracer } from "effect";
import * as EffectHeaders from "effect/http/Headers";
import * as TraceContext from "effect/http/HttpTraceContext";
import { HttpStatusError, type TransportError } from "../core/errors.ts";
import { httpVersion } from "../core/http_version.ts";
import { redactUrl } from "../core/redact.ts";
import type { Transport } from "../core/transport.ts";
import { Mounts } from "../router/mounts.ts";
import { serverOf } from "./http_facts.ts";
import { resendOf } from "./resend.ts";

/** The methods OpenTelemetry knows; any other is recorded as `_OTHER`. */
const KNOWN_METHODS = new Set([
  "CONNECT",
  "DELETE",
  "GET",
  "HEAD",
  "OPTIONS",
  "PATCH",
  "POST",
  "PUT",
  "TRACE",
  "QUERY",
]);

/**
 * How trace context goes out on the request: W3C `traceparent` (the
 * caller's `tracestate` passed on), that plus Zipkin's `b3`, or nothing.
 *
 * @example
 * ```ts
 * import type { Propagation } from "@switchyard/switchyard";
 * const how: Propagation = "w3c+b3";
 * ```
 */
export type Propagation = "w3c" | "w3c+b3" | "none";

/** What is needed to open a span, whichever lane. */
export interface SpanStart {
  readonly tracer: Tracer.Tracer;
  readonly parent: Option.Option<Tracer.AnySpan>;
  readonly startTime: bigint;
  /** Attributes from the environment (Effect's `TracerSpanAnnotations`). */
  readonly annotations?: Readonly<Record<string, unknown>>;
}

/**
 * The caller's parent when there is no Effect span around the call: the
 * `traceparent` the request came with (a server passing a trace on).
 */
export const parentFromHeaders = (request: Request): Option.Option<Tracer.AnySpan> => {
  const traceparent = request.headers.get("traceparent");
  return traceparent === null ? Option.none() : TraceContext.w3c(EffectHeaders.fromRecordUnsafe({ traceparent }));
};

/** Where the request goes behind `next`: the winning mount key (if any) and the sending transport's kind. */
const routeOf = (next: Transport, request: Request): { key: string | undefined; kind: string } => {
  const route = Mounts.route(next, request);
  return route === undefined
    ? { key: undefined, kind: next.kind ?? "custom" }
    : { key: route.key, kind: route.transport.kind ?? "custom" };
};

/** Opens the span of one attempt of `request`, with every attribute known before it is sent. */
export const openSpan = (start: SpanStart, request: Request, next: Transport): Tracer.Span => {
  const method = request.method.toUpperCase();
  const known = KNOWN_METHODS.has(method);
  const parent = start.parent;
  const span = start.tracer.span({
    name: known ? method : "HTTP",
    parent,
    annotations: Context.empty(),
    links: [],
    startTime: start.startTime,
    kind: "client",
    root: Option.isNone(parent),
    sampled: Option.isSome(parent) ? parent.value.sampled : true,
  });
  if (start.annotations !== undefined) {
    for (const key in start.annotations) span.attribute(key, start.annotations[key]);
  }
  span.attribute("http.request.method", known ? method : "_OTHER");
  if (!known) span.attribute("http.request.method_original", request.method);
  const url = request.url;
  span.attribute("url.full", redactUrl(url));
  const server = serverOf(url);
  span.attribute("server.address", server.address);
  if (server.port !== undefined) span.attribute("server.port", server.port);
  const resend = resendOf(request);
  if (resend !== undefined) {
    span.attribute("http.request.resend_count", resend.count);
    span.attribute("switchyard.resend.reason", resend.reason);
  }
  const route = routeOf(next, request);
  if (route.key !== undefined) span.attribute("switchyard.mount", route.key);
  span.attribute("switchyard.transport", route.kind);
  return span;
};

/**
 * Writes the span's context on the request (W3C `traceparent`; `tracestate`
 * is left as the caller set it, which is what W3C asks of a client that does
 * not add its own), and returns the function that puts the caller's own
 * `traceparent` back once the attempt is over, so that a request sent again
 * (a retry) is parented by the caller again, not by this attempt.
 */
export const propagate = (request: Request, span: Tracer.Span, how: Propagation): () => void => {
  if (how === "none") return () => {};
  const headers = request.headers;
  const before = headers.get("traceparent");
  const beforeB3 = how === "w3c+b3" ? headers.get("b3") : null;
  try {
    if (how === "w3c+b3") {
      const out = TraceContext.toHeaders(span);
      headers.set("b3", out.b3!);
    }
    headers.set("traceparent", `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`);
  } catch {
    // Immutable headers (a Request handed on from a server): nothing is written, nothing to restore.
    return () => {};
  }
  return () => {
    if (before === null) headers.delete("traceparent");
    else headers.set("traceparent", before);
    if (how === "w3c+b3") {
      if (beforeB3 === null) headers.delete("b3");
      else headers.set("b3", beforeB3);
    }
  };
};

/**
 * Ends the span with the attempt's outcome: the status, `error.type` (the
 * status for a 4xx or 5xx, the error's tag for a failure, which Effect's own
 * client leaves out), and an exit that exporters read as the span's status
 * (an error for 4xx, 5xx and failures; unset for a cancellation).
 */
export const closeSpan = (
  span: Tracer.Span,
  request: Request,
  outcome: Exit.Exit<Response, TransportError>,
  endTime: bigint,
): void => {
  if (Exit.isSuccess(outcome)) {
    const response = outcome.value;
    span.attribute("http.response.status_code", response.status);
    const version = httpVersion(response);
    if (version !== undefined) span.attribute("network.protocol.version", version.slice(5)); // "1.1", "2"
    if (response.status >= 400) {
      span.attribute("error.type", String(response.status));
      return span.end(endTime, Exit.fail(new HttpStatusError(request, response)));
    }
    return span.end(endTime, Exit.void);
  }
  const failure = Cause.findErrorOption(outcome.cause);
  if (Option.isSome(failure)) span.attribute("error.type", failure.value._tag);
  span.end(endTime, outcome);
};
