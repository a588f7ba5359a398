/**
 * A bounded copy of a request body, taken before the request is sent, so
 * that it can be sent once more (after a 401) without buffering an upload of
 * any size: the copy is read as the original streams, and dropped as soon as
 * it passes the limit. A body that was too large is never re-sent, and never
 * re-sent partly.
 *
 * @module
 */
import { concatBytes } from "../core/bytes.ts";

/**
 * A copy being taken.
 *
 * @example
 * ```ts
 * import { type BodyCopy, copyBody } from "./body_copy.ts";
 * const copy: BodyCopy | undefined = copyBody(new Request("http://x.test/", { method: "POST", body: "hi" }), 1024);
 * ```
 */
export interface BodyCopy {
  /** The whole body, once read; `undefined` when it was over the limit or could not be read. */
  readonly bytes: () => Promise<Uint8Array | undefined>;
  /** Stops copying and lets go of what was kept. Idempotent. */
  readonly drop: () => void;
}

/**
 * Starts copying `request`'s body (up to `limit` bytes) from a `clone()` of
 * it; `undefined` when it has none, or it cannot be cloned (already read).
 * Call before sending `request`.
 *
 * @example
 * ```ts
 * import { copyBody } from "./body_copy.ts";
 * const request = new Request("http://x.test/", { method: "POST", body: "hello" });
 * const copy = copyBody(request, 1024)!;
 * await request.text(); // the original goes out as usual
 * console.assert(new TextDecoder().decode(await copy.bytes()) === "hello");
 * ```
 */
export const copyBody = (request: Request, limit: number): BodyCopy | undefined => {
  if (limit <= 0 || request.body === null || request.bodyUsed) return undefined;
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = request.clone().body!.getReader();
  } catch {
    return undefined;
  }
  let dropped = false;
  const read = async (): Promise<Uint8Array | undefined> => {
    const chunks: Array<Uint8Array> = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return dropped ? undefined : concatBytes(chunks, size);
        size += value.byteLength;
        if (dropped || size > limit) {
          // Stop pulling: the tee then only feeds the original, as fast as it is sent.
          await reader.cancel();
          return undefined;
        }
        chunks.push(value);
      }
    } catch {
      return undefined;
    }
  };
  const bytes = read();
  return {
    bytes: () => bytes,
    drop: () => {
      if (dropped) return;
      dropped = true;
      reader.cancel().catch(() => {});
    },
  };
};
