/**
 * What a Request's body was made from, so that a plugin can send it again
 * (a retry, a failover) without copying it up front and without reading it:
 * on Deno, merely reading `request.body` of a string body turns its
 * `Content-Length` into chunked encoding, and copying every body "just in
 * case" would tax every request that never needs a second attempt.
 *
 * Two sources of truth, cheapest first: the client remembers the `body` of
 * the `RequestInit` it built a Request from (a WeakMap entry, only for
 * requests with a body that can be sent again); and what the runtime keeps
 * (`inspectRequestBody` in runtime.ts: Deno's internal slot holds the
 * source). Anything else is "unknown" (a Request built outside the client,
 * on Bun, whose inspector tells only that a body is buffered).
 *
 * @module
 */
import { inspectRequestBody } from "./runtime.ts";

/**
 * What a body can be sent again from: `"none"` (no body), a source to build
 * it again from, `"stream"` (a one-shot stream) or `"unknown"`.
 *
 * @example
 * ```ts
 * import type { BodySource } from "./body_source.ts";
 * const again: BodySource = { body: "payload" };
 * ```
 */
export type BodySource = "none" | "stream" | "unknown" | { readonly body: BodyInit };

const remembered = new WeakMap<Request, BodyInit>();

/** A body that can be read any number of times (not a stream or an iterable). */
const isReusable = (body: unknown): body is BodyInit =>
  typeof body === "string" || body instanceof ArrayBuffer || ArrayBuffer.isView(body) || body instanceof Blob ||
  body instanceof FormData || body instanceof URLSearchParams;

/**
 * Remembers that `request` was built from `body`, when `body` can be sent
 * again (a stream is not remembered: it is one-shot).
 *
 * @example
 * ```ts
 * import { bodySource, rememberBody } from "./body_source.ts";
 * const request = new Request("http://x.test/", { method: "PUT", body: "hi" });
 * rememberBody(request, "hi");
 * bodySource(request); // { body: "hi" }
 * ```
 */
export const rememberBody = (request: Request, body: unknown): void => {
  if (isReusable(body)) remembered.set(request, body);
};

/**
 * What `request`'s body can be sent again from, without reading it.
 *
 * @example
 * ```ts
 * import { bodySource } from "./body_source.ts";
 * bodySource(new Request("http://x.test/")); // "none"
 * ```
 */
export const bodySource = (request: Request): BodySource => {
  const method = request.method;
  if (method === "GET" || method === "HEAD") return "none";
  const known = remembered.get(request);
  if (known !== undefined) return { body: known };
  // What the runtime keeps (core/runtime.ts): Deno has the source itself; Bun only says that there is one.
  const seen = inspectRequestBody(request);
  if (seen.kind === "buffered") return isReusable(seen.value) ? { body: seen.value } : "unknown";
  return seen.kind;
};
