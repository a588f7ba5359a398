/**
 * `effect/http` interop, as its own entry point so that `mod.ts` does not load
 * `effect/http`: an `HttpClient` backed by a Switchyard `Client`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { HttpClient } from "effect/http";
 * import { MockTransport } from "@switchyard/switchyard";
 * import { SwitchyardHttpClient } from "@switchyard/switchyard/http-client";
 * const program = HttpClient.get("http://api.test/").pipe(Effect.flatMap((r) => r.text));
 * await Effect.runPromise(program.pipe(
 *   Effect.provide(SwitchyardHttpClient.layer({ transport: MockTransport.make(() => new Response("ok")) })),
 * ));
 * ```
 *
 * @module
 */
export { SwitchyardHttpClient, type SwitchyardHttpClientStatics, toHttpClient } from "./client/effect_http.ts";
export {
  type HttpAppOptions,
  type HttpAppRequirements,
  HttpAppTransport,
  type HttpAppTransportStatics,
} from "./transports/http_app.ts";
