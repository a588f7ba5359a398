/**
 * Sending a request again without losing its body: the rule `retry` and
 * `balance` share. A body is sent again only from what it was made from
 * (`core/body_source.ts`: no copy made up front), or unchanged when nothing
 * has read it yet; a one-shot stream that was read is never sent again,
 * unless the caller asked for it to be buffered (`replayBuffer` bytes).
 *
 * @module
 */
import { Effect } from "effect";
import { bodySource, rememberBody } from "../core/body_source.ts";
import { concatBytes } from "../core/bytes.ts";

/**
 * Hands out the request for each further attempt.
 *
 * @example
 * ```ts
 * import { planReplay } from "./replay.ts";
 * const replay = planReplay(new Request("http://x.test/"));
 * replay.canReplay(); // true: no body
 * ```
 */
export interface Replay {
  /** Whether the request can be sent again now. */
  canReplay(): boolean;
  /** The request for the next attempt (call only after `canReplay()`). */
  next(): Request;
}

/**
 * A copy of `request` with `body` (what it was made from). A FormData body
 * gets a fresh multipart boundary, so the old `Content-Type` is dropped.
 */
const rebuild = (request: Request, body: BodyInit): Request => {
  let copy: Request;
  if (body instanceof FormData) {
    const headers = new Headers(request.headers);
    headers.delete("content-type");
    copy = new Request(request, { body, headers });
  } else copy = new Request(request, { body });
  rememberBody(copy, body);
  return copy;
};

/**
 * Plans the further attempts of `request` (after its first one), from what
 * its body can be sent again from.
 *
 * @example
 * ```ts
 * import { planReplay } from "./replay.ts";
 * const request = new Request("http://x.test/", { method: "PUT", body: new ReadableStream() });
 * planReplay(request).canReplay(); // true until something reads the stream
 * ```
 */
export const planReplay = (request: Request): Replay => {
  const source = bodySource(request);
  if (source === "none") return { canReplay: () => true, next: () => request };
  if (typeof source === "object") return { canReplay: () => true, next: () => rebuild(request, source.body) };
  // A stream (or a body of unknown kind): the very same Request, as long as nothing has read from it.
  return { canReplay: () => !request.bodyUsed, next: () => request };
};

/**
 * What `bufferBody` made: the request for the first attempt, and the bytes
 * to send again (absent when the body was larger than the limit).
 *
 * @example
 * ```ts
 * import type { Buffered } from "./replay.ts";
 * const buffered: Buffered = { first: new Request("http://x.test/"), complete: true };
 * ```
 */
export interface Buffered {
  /** The request to send first. */
  readonly first: Request;
  /** Whether its body was read to the end within the limit (then it can be sent again). */
  readonly complete: boolean;
}

/**
 * Reads a one-shot (or unknown) body of `request` up to `limit` bytes. If it
 * ends within the limit, the first request carries those bytes, which any
 * later attempt can send again; if not, the first request streams what was
 * read followed by the rest, and cannot be sent again.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { bufferBody } from "./replay.ts";
 * const request = new Request("http://x.test/", { method: "PUT", body: "small" });
 * const { complete } = await Effect.runPromise(bufferBody(request, 1024)); // true
 * ```
 */
export const bufferBody = (request: Request, limit: number): Effect.Effect<Buffered> =>
  Effect.promise(async () => {
    const body = request.body;
    if (body === null) return { first: request, complete: true };
    const reader = body.getReader();
    const chunks: Array<Uint8Array> = [];
    let total = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          const bytes = concatBytes(chunks, total, true);
          const first = new Request(request, { body: bytes });
          rememberBody(first, bytes);
          return { first, complete: true };
        }
        chunks.push(value);
        total += value.byteLength;
        if (total > limit) break;
      }
    } catch (error) {
      // The caller's stream failed: let the transport meet (and report) that failure as it would have.
      const failed = new ReadableStream<Uint8Array>({ start: (controller) => controller.error(error) });
      return { first: streamed(request, failed), complete: false };
    }
    // Too large to keep: send what was read, then the rest, once.
    const rest = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        chunks.length = 0;
      },
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return { first: streamed(request, rest), complete: false };
  });

const streamed = (request: Request, body: ReadableStream<Uint8Array>): Request =>
  new Request(request, { body, duplex: "half" } as RequestInit);
