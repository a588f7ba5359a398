/**
 * `effect/http` interop: an `HttpClient.HttpClient` backed by a Switchyard
 * `Client`, so existing Effect code gains mounts, proxies, in-process apps
 * and mocks without changes. Lives behind its own entry point
 * (`@switchyard/switchyard/http-client`) so `mod.ts` does not load `effect/http`.
 *
 * @module
 */
import { Effect, Layer, Stream, Tracer } from "effect";
import { HttpClient, HttpClientError, type HttpClientRequest, HttpClientResponse } from "effect/http";
import { Client, type ClientOptions } from "./client.ts";
import { InvalidOptions, InvalidUrl, type SwitchyardError } from "../core/errors.ts";

const toHttpClientError = (
  request: HttpClientRequest.HttpClientRequest,
  error: SwitchyardError,
): HttpClientError.HttpClientError =>
  new HttpClientError.HttpClientError({
    // The Switchyard error (ConnectError, ReadTimeout, ...) stays available as the reason's `cause`.
    reason: error instanceof InvalidUrl
      ? new HttpClientError.InvalidUrlError({ request, cause: error, description: error.message })
      : new HttpClientError.TransportError({ request, cause: error, description: error.message }),
  });

/**
 * An `effect/http` `HttpClient` that sends through `client` (anything else is
 * an `InvalidOptions`, when called): its plugins,
 * mounts, redirects and transports. Transport failures are `HttpClientError`s
 * whose `reason.cause` is the Switchyard error (e.g. a `ConnectError`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { HttpClient } from "effect/http";
 * import { Client, MockTransport } from "@switchyard/switchyard";
 * import { toHttpClient } from "@switchyard/switchyard/http-client";
 * const client = Client.make({ transport: MockTransport.make(() => new Response("hi")) });
 * const text = await Effect.runPromise(
 *   toHttpClient(client).get("http://api.test/").pipe(Effect.flatMap((r) => r.text)),
 * );
 * ```
 */
export const toHttpClient = (client: Client): HttpClient.HttpClient => {
  if (typeof client !== "object" || client === null || typeof (client as Client).send !== "function") {
    throw new InvalidOptions({
      option: "client",
      received: client === null ? "null" : typeof client,
      expected: "a Switchyard Client (Client.make(...))",
    });
  }
  const traced = HttpClient.make((request, url, signal) => {
    const body = request.body;
    if (body._tag !== "Stream") {
      return send(
        client,
        request,
        url,
        signal,
        body._tag === "Empty" ? undefined : body._tag === "FormData" ? body.formData : body.body as BodyInit,
      );
    }
    // effect's Stream becomes a web ReadableStream: streamed, never buffered.
    return Effect.flatMap(
      Stream.toReadableStreamEffect(body.stream),
      (stream) => send(client, request, url, signal, stream),
    );
  });
  // effect/http makes a client span for every request, and puts its trace context in the headers. With no
  // tracer installed (the fiber's tracer is Effect's `nativeTracer`, which exports nothing: Effect documents
  // that comparison for exactly this), nobody can see either, so the span is skipped the way effect/http
  // itself skips it when propagation is disabled. Everything else (URL building, the abort signal,
  // interruption of a body read) is effect/http's own.
  return HttpClient.makeWith(
    (effect) =>
      Effect.withFiber((fiber) =>
        fiber.getRef(Tracer.Tracer) === Tracer.nativeTracer
          ? Effect.provideService(traced.postprocess(effect), Tracer.DisablePropagation, true)
          : traced.postprocess(effect)
      ),
    traced.preprocess,
  );
};

const send = (
  client: Client,
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  signal: AbortSignal,
  body: BodyInit | undefined,
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> => {
  let web: Request;
  try {
    const { "content-length": _, ...headers } = request.headers as unknown as Record<string, string>;
    // The runner's signal: effect/http aborts it when the call is interrupted, or a body read is.
    web = new Request(url, { method: request.method, headers, body, signal, duplex: "half" } as RequestInit);
  } catch (cause) {
    return Effect.fail(
      new HttpClientError.HttpClientError({
        reason: new HttpClientError.EncodeError({ request, cause, description: "the request could not be built" }),
      }),
    );
  }
  return client.send(web).pipe(
    Effect.map((response) => HttpClientResponse.fromWeb(request, response)),
    Effect.mapError((error) => toHttpClientError(request, error)),
  );
};

/**
 * Layers that provide `effect/http`'s `HttpClient` backed by Switchyard.
 *
 * @example
 * ```ts
 * import { MockTransport } from "@switchyard/switchyard";
 * import { SwitchyardHttpClient } from "@switchyard/switchyard/http-client";
 * const live = SwitchyardHttpClient.layer({ transport: MockTransport.make(() => new Response("ok")) });
 * ```
 */
export interface SwitchyardHttpClientStatics {
  /** Provides `HttpClient` (and `Client`) from client options; closes the client with the scope. */
  layer(options?: ClientOptions): Layer.Layer<HttpClient.HttpClient | Client, InvalidOptions>;
  /** Provides `HttpClient` from the `Client` service. */
  readonly layerFromClient: Layer.Layer<HttpClient.HttpClient, never, Client>;
}

const layerFromClient: Layer.Layer<HttpClient.HttpClient, never, Client> = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(Client, toHttpClient),
);

/**
 * `effect/http`'s `HttpClient`, backed by a Switchyard client.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { HttpClient } from "effect/http";
 * import { HandlerTransport } from "@switchyard/switchyard";
 * import { SwitchyardHttpClient } from "@switchyard/switchyard/http-client";
 * const program = HttpClient.get("http://app.test/hello").pipe(Effect.flatMap((r) => r.text));
 * const text = await Effect.runPromise(program.pipe(
 *   Effect.provide(SwitchyardHttpClient.layer({ transport: HandlerTransport.make(() => new Response("hi")) })),
 * ));
 * ```
 */
export const SwitchyardHttpClient: SwitchyardHttpClientStatics = {
  layer: (options?: ClientOptions): Layer.Layer<HttpClient.HttpClient | Client, InvalidOptions> =>
    layerFromClient.pipe(Layer.provideMerge(Client.layer(options))),
  layerFromClient,
};
