/**
 * Response helpers for both faces: decode a JSON body with a schema (zod 4,
 * or any Standard Schema), and raise for an error status.
 *
 * @module
 */
import { Effect } from "effect";
import type { StandardSchemaV1 } from "effect/StandardSchema";
import { DecodingError, type DecodingIssue, HttpStatusError, type RequestLike } from "../core/errors.ts";
import { NETWORK_RESPONSE, responseUrlOf } from "../core/transport.ts";
import { setResponseUrl } from "../core/runtime.ts";

/**
 * Which request produced a response, so response errors can name it. A
 * symbol-keyed property, not a WeakMap: a WeakMap entry per request cost
 * ~3 µs of GC on Deno in the benchmarks.
 */
const ORIGIN: unique symbol = Symbol("switchyard/request");
type WithOrigin = Response & { [ORIGIN]?: RequestLike };

/**
 * Records the request behind `response` (internal: called by the client),
 * and gives a response that has no URL (one an in-process app or a mock
 * built with `new Response`) the request's, as `fetch` would. A network
 * response has its URL already: its getter, costly on Deno, is not read.
 */
export const rememberRequest = (response: Response, request: RequestLike): void => {
  (response as WithOrigin)[ORIGIN] = request;
  if (!(NETWORK_RESPONSE in response) && response.url === "") {
    setResponseUrl(response, responseUrlOf(request));
  }
};

const requestOf = (response: Response): RequestLike =>
  (response as WithOrigin)[ORIGIN] ?? { method: "GET", url: response.url || "(unknown URL)" };

const toIssues = (issues: ReadonlyArray<StandardSchemaV1.Issue>): ReadonlyArray<DecodingIssue> =>
  issues.map((issue) => ({
    path: (issue.path ?? []).map((p) => (typeof p === "object" && p !== null && "key" in p ? p.key : p)),
    message: issue.message,
  }));

/**
 * Reads `response` as JSON and validates it with `schema`: a `DecodingError`
 * lists zod's issues (path and message) when the body is not JSON or does
 * not match. Pipeable: `client.get(url).pipe(Effect.flatMap(decodeJson(User)))`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { z } from "zod";
 * import { Client, decodeJson, MockTransport } from "@switchyard/switchyard";
 * const User = z.object({ id: z.number() });
 * const client = Client.make({ transport: MockTransport.make(() => Response.json({ id: 1 })) });
 * const user = await Effect.runPromise(client.get("http://api.test/u/1").pipe(Effect.flatMap(decodeJson(User))));
 * user.id; // 1
 * ```
 */
export function decodeJson<S extends StandardSchemaV1>(
  schema: S,
): (response: Response) => Effect.Effect<StandardSchemaV1.InferOutput<S>, DecodingError> {
  return (response) =>
    Effect.tryPromise({
      try: () => decodeJsonPromise(response, schema),
      catch: (error) =>
        error instanceof DecodingError
          ? error
          : new DecodingError(requestOf(response), [{ path: [], message: "the body could not be read" }], error),
    });
}

/**
 * Promise face of `decodeJson`: resolves with the validated value or rejects
 * with a `DecodingError`.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { decodeJsonPromise } from "@switchyard/switchyard";
 * const value = await decodeJsonPromise(Response.json({ ok: true }), z.object({ ok: z.boolean() }));
 * value.ok; // true
 * ```
 */
export const decodeJsonPromise = async <S extends StandardSchemaV1>(
  response: Response,
  schema: S,
): Promise<StandardSchemaV1.InferOutput<S>> => {
  const text = await response.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new DecodingError(
      requestOf(response),
      [{ path: [], message: `the body is not JSON (${describe(text)})` }],
      cause,
    );
  }
  const result = await schema["~standard"].validate(value);
  if (result.issues) throw new DecodingError(requestOf(response), toIssues(result.issues));
  return result.value as StandardSchemaV1.InferOutput<S>;
};

const describe = (text: string): string =>
  text.length === 0 ? "it is empty" : `it starts with ${JSON.stringify(text.slice(0, 40))}`;

/**
 * Fails with `HttpStatusError` (carrying the status and the unread response)
 * when the status is 4xx or 5xx; succeeds with the response otherwise.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { Client, MockTransport, raiseForStatus } from "@switchyard/switchyard";
 * const client = Client.make({ transport: MockTransport.make(() => new Response(null, { status: 503 })) });
 * const exit = await Effect.runPromiseExit(client.get("http://api.test/").pipe(Effect.flatMap(raiseForStatus)));
 * ```
 */
export const raiseForStatus = (response: Response): Effect.Effect<Response, HttpStatusError> =>
  response.status >= 400 ? Effect.fail(new HttpStatusError(requestOf(response), response)) : Effect.succeed(response);

/**
 * Promise face of `raiseForStatus`.
 *
 * @example
 * ```ts
 * import { raiseForStatusPromise } from "@switchyard/switchyard";
 * const response = await raiseForStatusPromise(new Response("fine"));
 * await response.text(); // "fine"
 * ```
 */
export const raiseForStatusPromise = (response: Response): Promise<Response> =>
  response.status >= 400
    ? Promise.reject(new HttpStatusError(requestOf(response), response))
    : Promise.resolve(response);
