/**
 * Joining the chunks of a body read piece by piece: the one copy every
 * reader that keeps a body (the HTTP body readers, body copies for a re-send,
 * the cache, HAR capture) makes.
 *
 * @module
 */

/**
 * `chunks` as one `Uint8Array` of `size` bytes (their total). A single chunk
 * is returned as it is, without a copy, unless `copy` is asked for.
 *
 * @example
 * ```ts
 * import { concatBytes } from "./bytes.ts";
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])], 3); // Uint8Array [1, 2, 3]
 * ```
 */
export const concatBytes = (
  chunks: ReadonlyArray<Uint8Array>,
  size: number,
  copy = false,
): Uint8Array<ArrayBuffer> => {
  if (chunks.length === 1 && !copy) return chunks[0] as Uint8Array<ArrayBuffer>;
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
};
