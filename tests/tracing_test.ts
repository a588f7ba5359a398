/**
 * `tracing` on both lanes: OpenTelemetry HTTP client spans (one per attempt,
 * resend counts from `retry`), error.type on failures and 4xx/5xx, W3C trace
 * context on the wire, parents, the winning mount, zero cost with no tracer,
 * and an OTLP/HTTP receiver (an in-process app) fed by effect/observability's
 * exporter.
 */
import assert from "node:assert/strict";
import { Cause, Effect, Exit, Layer, References, Scope, Tracer } from "effect";
import { HttpClient } from "effect/http";
import { layerFlusher } from "effect/observability/OtlpExporter";
import * as OtlpSerialization from "effect/observability/OtlpSerialization";
import * as OtlpTracer from "effect/observability/OtlpTracer";
import { toHttpClient } from "../http_client.ts";
import { Client, ConnectError, HandlerTransport, HttpTransport, Plugin, retry, tracing } from "../mod.ts";
import { refusedPort } from "./fixtures/faults.ts";
import { test } from "./harness.ts";
import { bothLanes } from "./lanes.ts";
import { withScripted } from "./resilience_helpers.ts";

/** A tracer that keeps its spans in memory. */
const memoryTracer = () => {
  const spans: Tracer.NativeSpan[] = [];
  const tracer = Tracer.make({
    span: (options) => {
      const span = new Tracer.NativeSpan(options);
      spans.push(span);
      return span;
    },
  });
  return { tracer, spans };
};

const attrs = (span: Tracer.Span) => Object.fromEntries(span.attributes);
const traceparentOf = (span: Tracer.Span) => `00-${span.traceId}-${span.spanId}-01`;

bothLanes("tracing: one client span with the HTTP semantic conventions; its context on the wire", async ({ call }) => {
  const { tracer, spans } = memoryTracer();
  await withScripted([200], [tracing({ tracer })], async (server, client) => {
    const response = await call(client, `${server.url}/items?token=secret&page=2`);
    await response.text();
    assert.equal(spans.length, 1);
    const [span] = spans;
    assert.equal(span!.name, "GET");
    assert.equal(span!.kind, "client");
    assert.equal(span!.status._tag, "Ended");
    const a = attrs(span!);
    assert.equal(a["http.request.method"], "GET");
    assert.equal(a["url.full"], `${server.url}/items?token=[redacted]&page=2`, "secrets never reach a span");
    assert.equal(a["server.address"], "127.0.0.1");
    assert.equal(a["server.port"], server.port);
    assert.equal(a["http.response.status_code"], 200);
    assert.equal(a["switchyard.transport"], "http");
    assert.equal("error.type" in a, false);
    assert.equal("http.request.resend_count" in a, false, "only set on a resend");
    assert.equal(server.seen[0]!.headers.get("traceparent"), traceparentOf(span!));
  });
});

bothLanes("tracing: a 4xx or 5xx has error.type and an error status", async ({ call }) => {
  const { tracer, spans } = memoryTracer();
  await withScripted([404, 503], [tracing({ tracer })], async (server, client) => {
    await (await call(client, server.url)).text();
    await (await call(client, server.url)).text();
    assert.deepEqual(spans.map((s) => attrs(s)["error.type"]), ["404", "503"]);
    for (const span of spans) {
      assert.ok(span.status._tag === "Ended" && Exit.isFailure(span.status.exit));
    }
  });
});

bothLanes("tracing: a failed attempt has its span, with the error's tag as error.type", async ({ call }) => {
  const { tracer, spans } = memoryTracer();
  const refused = await refusedPort();
  await using client = Client.make({ plugins: [tracing({ tracer })] });
  const error = await call(client, refused.url).catch((e) => e);
  assert.ok(error instanceof ConnectError);
  assert.equal(spans.length, 1);
  assert.equal(attrs(spans[0]!)["error.type"], "ConnectError", "Effect's own client leaves it out");
  assert.equal("http.response.status_code" in attrs(spans[0]!), false);
  assert.ok(spans[0]!.status._tag === "Ended" && Exit.isFailure(spans[0]!.status.exit));
});

bothLanes("tracing: inside retry, one span per attempt with its resend count", async ({ call }) => {
  const { tracer, spans } = memoryTracer();
  const plugins = [retry({ backoff: { baseMs: 1, maxMs: 2 } }), tracing({ tracer })];
  await withScripted([503, 502, 200], plugins, async (server, client) => {
    await (await call(client, server.url)).text();
    assert.equal(spans.length, 3);
    assert.deepEqual(spans.map((s) => attrs(s)["http.request.resend_count"]), [undefined, 1, 2]);
    assert.deepEqual(spans.map((s) => attrs(s)["switchyard.resend.reason"]), [undefined, "status 503", "status 502"]);
    assert.deepEqual(spans.map((s) => attrs(s)["http.response.status_code"]), [503, 502, 200]);
    assert.deepEqual(server.seen.map((s) => s.headers.get("traceparent")), spans.map(traceparentOf));
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 3, "no logical parent span: each attempt is a root here");
  });
});

bothLanes("tracing: a redirect hop is a resend too (OpenTelemetry counts it), and retries add up", async ({ call }) => {
  const { tracer, spans } = memoryTracer();
  let calls = 0;
  const app = HandlerTransport.make((request) => {
    calls++;
    if (new URL(request.url).pathname === "/from") {
      return new Response(null, { status: 302, headers: { location: "/to" } });
    }
    return calls === 2 ? new Response(null, { status: 503 }) : new Response("there");
  });
  await using client = Client.make({
    transport: app,
    plugins: [retry({ backoff: { baseMs: 1, maxMs: 2 } }), tracing({ tracer })],
  });
  assert.equal(await (await call(client, "http://app.test/from")).text(), "there");
  assert.deepEqual(spans.map((s) => attrs(s)["http.request.resend_count"]), [undefined, 1, 2]);
  assert.deepEqual(spans.map((s) => attrs(s)["switchyard.resend.reason"]), [undefined, "redirect 302", "status 503"]);
});

bothLanes("tracing: a caller's traceparent is the parent, and its tracestate is passed on", async ({ call }) => {
  const { tracer, spans } = memoryTracer();
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  const parentId = "00f067aa0ba902b7";
  const plugins = [retry({ backoff: { baseMs: 1, maxMs: 2 } }), tracing({ tracer })];
  await withScripted([500, 200], plugins, async (server, client) => {
    const headers = { traceparent: `00-${traceId}-${parentId}-01`, tracestate: "vendor=abc,other=1" };
    await (await call(client, server.url, { headers })).text();
    assert.equal(spans.length, 2);
    for (const span of spans) {
      assert.equal(span.traceId, traceId);
      assert.equal(
        span.parent._tag === "Some" && span.parent.value.spanId,
        parentId,
        "retries keep the caller's parent",
      );
    }
    assert.deepEqual(server.seen.map((s) => s.headers.get("tracestate")), ["vendor=abc,other=1", "vendor=abc,other=1"]);
  });
});

bothLanes("tracing: the winning mount key is on the span, even behind other plugins", async ({ call }) => {
  const { tracer, spans } = memoryTracer();
  await withScripted([200], [], async (server) => {
    const key = `http://127.0.0.1:${server.port}`;
    const noop = Plugin.steps({ name: "noop", onRequest: () => {} });
    await using client = Client.make({
      transport: HandlerTransport.make(() => new Response("default")),
      mounts: { [key]: HttpTransport.make() },
      plugins: [tracing({ tracer }), noop],
    });
    await (await call(client, `${server.url}/x`)).text();
    await (await call(client, "http://other.test/")).text();
    assert.equal(attrs(spans[0]!)["switchyard.mount"], key);
    assert.equal(attrs(spans[0]!)["switchyard.transport"], "http");
    assert.equal("switchyard.mount" in attrs(spans[1]!), false, "no key matched");
    assert.equal(attrs(spans[1]!)["switchyard.transport"], "handler");
  });
});

bothLanes("tracing: an unknown method is _OTHER, named HTTP", async ({ call }) => {
  const { tracer, spans } = memoryTracer();
  await using client = Client.make({
    transport: HandlerTransport.make(() => new Response("ok")),
    plugins: [tracing({ tracer })],
  });
  await (await call(client, "http://app.test/", { method: "PURGE" })).text();
  assert.equal(spans[0]!.name, "HTTP");
  assert.equal(attrs(spans[0]!)["http.request.method"], "_OTHER");
  assert.equal(attrs(spans[0]!)["http.request.method_original"], "PURGE");
});

bothLanes("tracing: a cancelled call ends its span without an error", async ({ call, lane }) => {
  const { tracer, spans } = memoryTracer();
  const app = HandlerTransport.make((request) =>
    new Promise<Response>((resolve) => {
      const timer = setTimeout(() => resolve(new Response("late")), 1_000);
      request.signal.addEventListener("abort", () => (clearTimeout(timer), resolve(new Response("aborted"))));
    })
  );
  await using client = Client.make({ transport: app, plugins: [tracing({ tracer })] });
  if (lane === "promise") {
    const controller = new AbortController();
    const pending = call(client, "http://app.test/", { signal: controller.signal }).catch((e) => e);
    setTimeout(() => controller.abort(new Error("stop")), 10);
    assert.equal((await pending).message, "stop");
  } else {
    await Effect.runPromise(
      Effect.timeoutOrElse(client.get("http://app.test/"), { duration: 10, orElse: () => Effect.void }),
    );
  }
  const span = spans[0]!;
  assert.ok(span.status._tag === "Ended" && Exit.isFailure(span.status.exit));
  assert.ok(Cause.hasInterruptsOnly(span.status.exit.cause), "an interruption: exporters leave the status unset");
  assert.equal("error.type" in attrs(span), false);
});

test("tracing: with no tracer, the Promise lane is the next transport's own and no span is made", async () => {
  const inner = HandlerTransport.make((request) => new Response(request.headers.get("traceparent")));
  const traced = tracing()(inner);
  assert.equal(traced.fetch, inner.fetch, "not even a wrapper call");
  assert.equal(await (await traced.fetch(new Request("http://app.test/"))).text(), "");
  // The Effect lane with Effect's default (native) tracer: nothing is installed, so nothing is traced.
  const viaEffect = await Effect.runPromise(traced.handle(new Request("http://app.test/")));
  assert.equal(await viaEffect.text(), "");
});

test("tracing: on the Effect lane the fiber's tracer and parent span are used", async () => {
  const { tracer, spans } = memoryTracer();
  await withScripted([200], [tracing()], async (server, client) => {
    const program = Effect.withSpan(
      Effect.flatMap(client.get(server.url), (response) => Effect.promise(() => response.text())),
      "caller",
    );
    await Effect.runPromise(program.pipe(Effect.provideService(Tracer.Tracer, tracer)));
    const [caller, attempt] = [spans.find((s) => s.name === "caller")!, spans.find((s) => s.name === "GET")!];
    assert.equal(attempt.traceId, caller.traceId);
    assert.equal(attempt.parent._tag === "Some" && attempt.parent.value.spanId, caller.spanId);
    assert.equal(server.seen[0]!.headers.get("traceparent"), traceparentOf(attempt));
    // TracerEnabled = false (what the OTLP exporter runs with): no span, no header.
    await (await Effect.runPromise(
      client.get(server.url).pipe(
        Effect.provideService(Tracer.Tracer, tracer),
        Effect.provideService(References.TracerEnabled, false),
      ),
    )).text();
    assert.equal(spans.length, 2);
    assert.equal(server.seen[1]!.headers.get("traceparent"), null);
    // DisablePropagation: a span, but nothing on the wire.
    await (await Effect.runPromise(
      client.get(server.url).pipe(
        Effect.provideService(Tracer.Tracer, tracer),
        Effect.provideService(Tracer.DisablePropagation, true),
      ),
    )).text();
    assert.equal(spans.length, 3);
    assert.equal(server.seen[2]!.headers.get("traceparent"), null);
  });
});

interface OtlpSpan {
  readonly name: string;
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes: ReadonlyArray<{ key: string; value: Record<string, unknown> }>;
  readonly status: { readonly code: number };
}

bothLanes(
  "tracing: effect/observability's OTLP exporter sends the spans to an OTLP/HTTP receiver unchanged",
  async ({ call }) => {
    // The receiver: an in-process OTLP/HTTP app that decodes what arrives.
    const batches: Array<{ resourceSpans: Array<{ resource: unknown; scopeSpans: Array<{ spans: OtlpSpan[] }> }> }> =
      [];
    const receiver = HandlerTransport.make(async (request) => {
      assert.equal(new URL(request.url).pathname, "/v1/traces");
      assert.equal(request.headers.get("content-type"), "application/json");
      batches.push(await request.json());
      return Response.json({});
    });
    // The exporter sends through a Switchyard client that traces too: it must not trace its own exports.
    const exportClient = Client.make({ transport: receiver, plugins: [tracing()] });
    const layers = Layer.mergeAll(
      OtlpSerialization.layerJson,
      layerFlusher,
      Layer.succeed(HttpClient.HttpClient, toHttpClient(exportClient)),
    );
    const scope = await Effect.runPromise(Scope.make());
    const tracer = await Effect.runPromise(
      OtlpTracer.make({
        url: "http://collector.test/v1/traces",
        exportInterval: "1 hour",
        resource: { serviceName: "sy-test" },
      })
        .pipe(Scope.provide(scope), Effect.provide(layers)),
    );
    await withScripted([200, 500], [tracing({ tracer })], async (server, client) => {
      await (await call(client, `${server.url}/ok`)).text();
      await (await call(client, `${server.url}/broken`)).text();
    });
    await Effect.runPromise(Scope.close(scope, Exit.void)); // flushes the batch
    await exportClient[Symbol.asyncDispose]();
    const spans = batches.flatMap((b) => b.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
    assert.equal(spans.length, 2, "two attempts, and no span for the exporter's own POSTs");
    const value = (span: OtlpSpan, key: string) => {
      const v = span.attributes.find((a) => a.key === key)?.value;
      return v === undefined ? undefined : Object.values(v)[0];
    };
    assert.deepEqual(spans.map((s) => [s.name, s.kind]), [["GET", 3], ["GET", 3]], "kind 3 = SPAN_KIND_CLIENT");
    assert.deepEqual(spans.map((s) => String(value(s, "http.response.status_code"))), ["200", "500"]);
    assert.deepEqual(spans.map((s) => value(s, "error.type")), [undefined, "500"]);
    assert.deepEqual(spans.map((s) => s.status.code), [1, 2], "OK, then ERROR");
    assert.equal(value(spans[0]!, "switchyard.transport"), "http");
    assert.match(String(value(spans[0]!, "url.full")), /\/ok$/);
    assert.equal(spans[0]!.traceId.length, 32);
  },
);

test("tracing: client.explain names it, and bad options are refused", () => {
  const client = Client.make({ transport: HandlerTransport.make(() => new Response()), plugins: [retry(), tracing()] });
  assert.deepEqual(client.explain("http://app.test/").plugins, ["retry", "tracing"]);
  assert.throws(() => tracing({ tracer: {} as never }), /tracing\.tracer/);
  assert.throws(() => tracing({ propagate: "zipkin" as never }), /tracing\.propagate/);
});

bothLanes("tracing: userinfo in the URL never reaches a span (server.address is the host)", async ({ call }) => {
  const { tracer, spans } = memoryTracer();
  await withScripted([200], [tracing({ tracer })], async (server, client) => {
    const withUser = server.url.replace("http://", "http://ada:s3cret@");
    await (await call(client, `${withUser}/x`)).text();
    const a = attrs(spans[0]!);
    assert.equal(a["server.address"], "127.0.0.1");
    assert.equal(a["server.port"], server.port);
    for (const [name, value] of Object.entries(a)) {
      assert.ok(!/ada|s3cret/.test(String(value)), `${name} = ${value}`);
    }
  });
});
