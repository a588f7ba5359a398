/**
 * An Effect app written against effect/http's `HttpClient`, run with its
 * HTTP layer swapped: in production `SwitchyardHttpClient.layer(...)` over
 * the network; here the same layer over a `MockTransport`, so the program
 * runs without a network and the calls it made can be checked.
 *
 *   deno run examples/effect_mock.ts     bun examples/effect_mock.ts
 */
import { Effect, Schema } from "effect";
import { HttpClient, HttpClientResponse } from "effect/http";
import { MockTransport } from "../mod.ts";
import { SwitchyardHttpClient } from "../http_client.ts";

const Weather = Schema.Struct({ city: Schema.String, celsius: Schema.Number });

/** The app: knows only HttpClient. */
const forecast = (city: string) =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient;
    const response = yield* http.get(`https://weather.example/v1/${city}`);
    const weather = yield* HttpClientResponse.schemaBodyJson(Weather)(response);
    return `${weather.city}: ${weather.celsius} °C`;
  });

// The production layer would be: SwitchyardHttpClient.layer({ timeout: 5_000 }).
const mock = MockTransport.make((request) => {
  const city = new URL(request.url).pathname.split("/").pop()!;
  return Response.json({ city, celsius: city === "Oslo" ? -3 : 21 });
});
const TestHttp = SwitchyardHttpClient.layer({ transport: mock });

const lines = await Effect.runPromise(
  Effect.all([forecast("Oslo"), forecast("Lisbon")]).pipe(Effect.provide(TestHttp)),
);
for (const line of lines) console.log(line);
console.log(
  `the app made ${mock.calls.length} calls: ${mock.calls.map((c) => new URL(c.request.url).pathname).join(", ")}`,
);
