/**
 * Content-Encoding decoders for an engine that reads the raw body itself
 * (node:http2), so that its responses decode as the host's `fetch` would:
 * Bun's `fetch` decompresses `gzip`, `deflate`, `br` and `zstd` whatever the
 * request's `Accept-Encoding` said, and keeps `Content-Encoding` and
 * `Content-Length` as received (measured, Bun 1.4.4).
 *
 * @module
 */
import type { Transform } from "node:stream";
import type zlib from "node:zlib";

type Zlib = typeof zlib;

/**
 * A decompressing stream for `contentEncoding`, or `undefined` when the body
 * is to be passed as it is (no encoding, an unknown one, or several).
 *
 * @example
 * ```ts
 * import zlib from "node:zlib";
 * import { decoderFor } from "./decoders.ts";
 * console.assert(decoderFor(zlib, "gzip") !== undefined);
 * console.assert(decoderFor(zlib, "identity") === undefined);
 * ```
 */
export const decoderFor = (z: Zlib, contentEncoding: string | undefined): Transform | undefined => {
  switch (contentEncoding?.trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return z.createGunzip();
    case "deflate":
      return z.createInflate();
    case "br":
      return z.createBrotliDecompress();
    case "zstd": {
      const zstd = (z as Zlib & { createZstdDecompress?: () => Transform }).createZstdDecompress;
      return zstd === undefined ? undefined : zstd();
    }
    default:
      return undefined;
  }
};
