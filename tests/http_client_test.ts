import assert from "node:assert/strict";
import { Effect, Layer, Stream } from "effect";
import { HttpClient, HttpClientRequest } from "effect/http";
import { Client, ConnectError, HandlerTransport, InvalidOptions, MockTransport } from "../mod.ts";
import { SwitchyardHttpClient, toHttpClient } from "../http_client.ts";
import { test } from "./harness.ts";

const app = async (request: Request) =>
  Response.json({
    method: request.method,
    url: request.url,
    type: request.headers.get("content-type"),
    body: request.body ? await request.text() : null,
  });

test("http-client: existing effect/http code runs over a Switchyard client (in-process app)", async () => {
  const program = Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient;
    const got = yield* http.get("http://app.test/users?q=1").pipe(Effect.flatMap((r) => r.json));
    const posted = yield* http.execute(
      HttpClientRequest.post("http://app.test/items").pipe(HttpClientRequest.bodyJsonUnsafe({ a: 1 })),
    ).pipe(Effect.flatMap((r) => r.json));
    return { got, posted };
  });
  const layer = SwitchyardHttpClient.layer({ transport: HandlerTransport.make(app) });
  const { got, posted } = await Effect.runPromise(
    program.pipe(Effect.provide(layer), Effect.provideService(HttpClient.TracerPropagationEnabled, false)),
  );
  assert.deepEqual(got, { method: "GET", url: "http://app.test/users?q=1", type: null, body: null });
  assert.deepEqual(posted, { method: "POST", url: "http://app.test/items", type: "application/json", body: '{"a":1}' });
});

test("http-client: a stream body is streamed through", async () => {
  const client = Client.make({ transport: HandlerTransport.make(app) });
  const http = toHttpClient(client);
  const body = Stream.make(new TextEncoder().encode("a"), new TextEncoder().encode("b"));
  const result = await Effect.runPromise(
    http.execute(HttpClientRequest.post("http://app.test/up").pipe(HttpClientRequest.bodyStream(body))).pipe(
      Effect.flatMap((r) => r.json),
    ),
  );
  assert.equal((result as { body: string }).body, "ab");
  await Effect.runPromise(client.close());
});

test("http-client: a Switchyard error becomes HttpClientError whose reason.cause is the tagged error", async () => {
  const failing = MockTransport.make((request) => {
    throw new ConnectError(request, { detail: "simulated" });
  });
  const layer = SwitchyardHttpClient.layerFromClient.pipe(Layer.provide(Client.layer({ transport: failing })));
  const error = await Effect.runPromise(
    HttpClient.get("http://api.test/").pipe(Effect.flip, Effect.provide(layer)),
  );
  assert.equal(error._tag, "HttpClientError");
  assert.equal(error.reason._tag, "TransportError");
  assert.ok(error.reason.cause instanceof ConnectError);
});

/** An app whose body never ends, and which says when its stream was cancelled and its request aborted. */
const endlessApp = () => {
  const seen = { cancelled: false, aborted: false };
  let timer: ReturnType<typeof setInterval> | undefined;
  const handler = (request: Request) => {
    request.signal.addEventListener("abort", () => void (seen.aborted = true));
    if (new URL(request.url).pathname === "/slow") {
      return new Promise<Response>((resolve) =>
        request.signal.addEventListener("abort", () => resolve(new Response("late")))
      );
    }
    return new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("first"));
          timer = setInterval(() => controller.enqueue(new TextEncoder().encode(".")), 5);
        },
        cancel() {
          clearInterval(timer);
          seen.cancelled = true;
        },
      }),
    );
  };
  return { seen, handler, stop: () => clearInterval(timer) };
};

const waitFor = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
};

test("http-client: interrupting a body read cancels the in-process app's stream, as FetchHttpClient does on loopback", async () => {
  const readWithin = (layer: Layer.Layer<HttpClient.HttpClient, unknown>) =>
    Effect.runPromiseExit(
      HttpClient.get("http://127.0.0.1:1/endless").pipe(
        Effect.flatMap((r) => r.text),
        Effect.timeout(60),
        Effect.provide(layer),
      ),
    );
  const app = endlessApp();
  try {
    const exit = await readWithin(SwitchyardHttpClient.layer({ transport: HandlerTransport.make(app.handler) }));
    assert.equal(exit._tag, "Failure");
    await waitFor(() => app.seen.cancelled, "the app's stream was cancelled");
  } finally {
    app.stop();
  }
});

test("http-client: the runner's signal reaches the request: interrupting the call aborts the app's request", async () => {
  const app = endlessApp();
  const exit = await Effect.runPromiseExit(
    HttpClient.get("http://app.test/slow").pipe(
      Effect.timeout(30),
      Effect.provide(SwitchyardHttpClient.layer({ transport: HandlerTransport.make(app.handler) })),
    ),
  );
  assert.equal(exit._tag, "Failure");
  await waitFor(() => app.seen.aborted, "the app's request.signal aborted");
});

test("http-client: toHttpClient refuses something that is not a client, naming it", () => {
  for (const junk of [null, undefined, 5, {}, { send: 1 }]) {
    assert.throws(
      () => toHttpClient(junk as never),
      (e: unknown) => e instanceof InvalidOptions && e.option === "client",
    );
  }
});
