/**
 * What a Request's body was made from, so that a plugin can send it again
 * (a retry, a failover) without copying it up front and without reading it:
 * on Deno, merely reading `request.body` of a string body turns its
 * `Content-Length` into chunked encoding, and copying every body "just in
 * case" would tax every request that never needs a second attempt.
 *
 * Two sources of truth, cheapest first: the client remembers the `body` of
 * the `RequestInit` it built a Request from (a WeakMap entry, only for
 * requests with a body that can be sent again); and Deno keeps a Request's
 * body source in an internal slot. Anything else is "unknown" (a stream, or
 * a Request built outside the client on a runtime without the slot).
 *
 * @module
 */

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

/** Deno's internal slot holding a Request's inner request (looked up once; `null` where there is none). */
let innerSlot: symbol | null | undefined;
const innerOf = (request: Request): { body?: { source?: unknown } | null } | undefined => {
  innerSlot ??= Object.getOwnPropertySymbols(new Request("http://slot.invalid/"))
    .find((s) => s.description === "request") ?? null;
  if (innerSlot === null) return undefined;
  const inner = (request as unknown as Record<symbol, unknown>)[innerSlot];
  return typeof inner === "object" && inner !== null && "body" in inner ? inner as { body?: null } : undefined;
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
  const inner = innerOf(request);
  if (inner !== undefined) {
    const body = inner.body;
    if (body === null || body === undefined) return "none";
    const source = body.source;
    return source === null || source === undefined ? "stream" : { body: source as BodyInit };
  }
  return request.body === null ? "none" : "unknown";
};
