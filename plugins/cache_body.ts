/**
 * A response body that streams to the caller while the cache keeps a copy
 * (a tee without `ReadableStream#tee`'s unbounded buffering of the slower
 * branch: the copy is taken as the caller reads). A body over the size limit
 * stops being copied and is only passed on; a body the caller cancels, or
 * that fails, is not stored. The source is read through its own
 * `getReader()`, so a network transport's typed body errors (`ReadError`,
 * `ReadTimeout`) reach the caller unchanged.
 *
 * @module
 */
import { concatBytes } from "../core/bytes.ts";

/**
 * `body`'s chunks, passed on as they are read; when it ends and no more than
 * `limit` bytes came, `store(bytes)` is called (before the caller sees the
 * end, so a request made right after reading finds the entry). Without
 * `store`, a plain relay.
 *
 * @example
 * ```ts
 * import { storingStream } from "./cache_body.ts";
 * let kept = "";
 * const stream = storingStream(new Response("hello").body!, 1024, (bytes) => void (kept = new TextDecoder().decode(bytes)));
 * console.assert((await new Response(stream).text()) === "hello" && kept === "hello");
 * ```
 */
export const storingStream = (
  body: ReadableStream<Uint8Array>,
  limit: number,
  store?: (bytes: Uint8Array<ArrayBuffer>) => void,
): ReadableStream<Uint8Array> => {
  const reader = body.getReader();
  let chunks: Uint8Array<ArrayBuffer>[] | undefined = store === undefined ? undefined : [];
  let size = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        chunks = undefined;
        controller.error(error);
        return;
      }
      if (result.done) {
        if (chunks !== undefined) store!(concatBytes(chunks, size));
        chunks = undefined;
        controller.close();
        return;
      }
      const chunk = result.value;
      if (chunks !== undefined) {
        size += chunk.byteLength;
        // A copy: the caller owns the chunk it is given and may write into it.
        if (size > limit) chunks = undefined;
        else chunks.push(chunk.slice());
      }
      controller.enqueue(chunk);
    },
    cancel(reason) {
      chunks = undefined;
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
};
