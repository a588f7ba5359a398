/**
 * The response a network transport returns is the runtime's own `Response`,
 * streamed, never copied. What changes is how its body fails: a connection
 * lost mid-body or a read timeout reaches whoever reads it (`text()`,
 * `json()`, ..., `body`) as the typed `ReadError` / `ReadTimeout` instead of
 * the runtime's `TypeError`.
 *
 * To keep that cheap, the response is patched in place with own properties
 * (shared functions, no closures, no new `Response`, no extra stream unless
 * `body` is read by something other than a reader, or per-chunk timing is
 * needed): ~0.2 µs on Deno (own properties), ~0.1 µs on Bun (a prototype
 * swap: each runtime's cheapest, measured), where wrapping the stream in a
 * new `Response` costs 3-5 µs.
 *
 * @module
 */
import { type TransportError, TransportErrorBase } from "../../core/errors.ts";
import { concatBytes } from "../../core/bytes.ts";
import type { HttpVersion } from "../../core/http_version.ts";
import { NETWORK_RESPONSE } from "../../core/transport.ts";

/**
 * What a patched response needs to know about its request.
 *
 * @example
 * ```ts
 * import type { BodyHooks } from "./body.ts";
 * const hooks: BodyHooks = { request: new Request("http://x.test/"), classify: () => undefined, tracked: false };
 * ```
 */
export interface BodyHooks {
  /** The request, for the error's method and URL. */
  readonly request: Request;
  /** Maps a runtime body-read failure to the tree; `undefined` when it is not a network failure (left as is). */
  readonly classify: (error: unknown, request: Request) => TransportError | undefined;
  /** Read through a wrapper that sees every chunk (needed for a read timeout between chunks). */
  readonly tracked: boolean;
  /** Called for every chunk read through the wrapper. */
  readonly onChunk?: () => void;
  /** Called once when the body ends, fails or is cancelled (frees the pool slot and timers). */
  readonly onDone?: () => void;
  /** The HTTP version the response came over, when the engine knows (core/http_version.ts reads it). */
  readonly version?: HttpVersion;
}

interface Hooks extends BodyHooks {
  /** The strategy that patched this response, for its clones. */
  repatch: (response: Response, hooks: BodyHooks) => Response;
  stream?: ReadableStream<Uint8Array> | null;
  finished?: boolean;
}

/** Also tells the client the response is the network's, with its URL set. */
const HOOKS: typeof NETWORK_RESPONSE = NETWORK_RESPONSE;
type Patched = Response & { [HOOKS]: Hooks };

/** Response.prototype's own readers. Looked up on first use: on Deno,
 * touching `Response` at import loads the fetch extension (~4 ms of start-up for an app that never sends). */
interface Native {
  readonly text: (this: Response) => Promise<unknown>;
  readonly json: (this: Response) => Promise<unknown>;
  readonly arrayBuffer: (this: Response) => Promise<unknown>;
  readonly bytes: (this: Response) => Promise<unknown>;
  readonly blob: (this: Response) => Promise<unknown>;
  readonly formData: (this: Response) => Promise<unknown>;
  readonly clone: (this: Response) => Response;
  readonly body: (this: Response) => ReadableStream<Uint8Array> | null;
  /** What a patched response inherits from on Bun: Response.prototype with the typed readers. */
  readonly patched: Response;
}
let cached: Native | undefined;
const native = (): Native => cached ??= makeNative();

const finish = (h: Hooks): void => {
  if (h.finished) return;
  h.finished = true;
  h.onDone?.();
};

/** Our own errors (timeouts we aborted with) pass through; runtime failures are classified; the rest is left alone. */
const mapError = (h: Hooks, error: unknown): unknown =>
  error instanceof TransportErrorBase ? error : h.classify(error, h.request) ?? error;

const wrapStream = (raw: ReadableStream<Uint8Array>, h: Hooks): ReadableStream<Uint8Array> => {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      reader ??= raw.getReader();
      try {
        const { done, value } = await reader.read();
        if (done) {
          finish(h);
          controller.close();
        } else {
          h.onChunk?.();
          controller.enqueue(value);
        }
      } catch (error) {
        finish(h);
        controller.error(mapError(h, error));
      }
    },
    cancel(reason) {
      finish(h);
      return reader ? reader.cancel(reason) : raw.cancel(reason);
    },
  }, { highWaterMark: 0 });
};

/**
 * The runtime's own stream with its reads mapped, for a body nobody times: no second stream and no queue, one
 * `then` per read (a wrapper stream costs Deno ~10% of a large body's throughput, and Bun memory). What reads
 * it without a reader of ours (`pipeTo`, `pipeThrough`, `tee`, `for await`) goes through `wrapStream`, so that
 * every way of reading it fails typed.
 */
const mapReads = (raw: ReadableStream<Uint8Array>, h: Hooks): ReadableStream<Uint8Array> => {
  const stream = raw as unknown as Record<string | symbol, unknown>;
  const getReader = raw.getReader as (this: ReadableStream, options?: unknown) => ReadableStreamDefaultReader;
  const mapped = (error: unknown) => Promise.reject(mapError(h, error));
  stream.getReader = function (options?: unknown) {
    const reader = getReader.call(raw, options) as unknown as Record<string, unknown>;
    const read = reader.read as (view?: unknown) => Promise<unknown>;
    reader.read = (view?: unknown) => read.call(reader, view).then(undefined, mapped);
    return reader;
  };
  const wrapped = () => wrapStream(raw, h);
  stream.pipeTo = (destination: WritableStream, options?: StreamPipeOptions) => wrapped().pipeTo(destination, options);
  stream.pipeThrough = <T>(pair: ReadableWritablePair<T, Uint8Array>, options?: StreamPipeOptions) =>
    wrapped().pipeThrough(pair, options);
  stream.tee = () => wrapped().tee();
  stream.values = stream[Symbol.asyncIterator] = (options?: { preventCancel?: boolean }) =>
    (wrapped() as unknown as { values(o?: unknown): AsyncIterator<Uint8Array> }).values(options);
  return raw;
};

function body(this: Patched): ReadableStream<Uint8Array> | null {
  const h = this[HOOKS];
  if (h.stream === undefined) {
    const raw = native().body.call(this);
    h.stream = raw === null ? null : h.tracked || h.onDone !== undefined ? wrapStream(raw, h) : mapReads(raw, h);
  }
  return h.stream;
}

type Reader = "text" | "json" | "arrayBuffer" | "bytes" | "blob" | "formData";

/** Reads a whole body chunk by chunk (so that every chunk is seen), mapping failures. */
const collect = async (stream: ReadableStream<Uint8Array>, h: Hooks): Promise<Uint8Array> => {
  const reader = stream.getReader();
  const chunks: Array<Uint8Array> = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      h.onChunk?.();
      chunks.push(value);
      size += value.byteLength;
    }
  } catch (error) {
    throw mapError(h, error);
  } finally {
    finish(h);
  }
  return concatBytes(chunks, size);
};

const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const exact = (bytes: Uint8Array): ArrayBuffer =>
  (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes.buffer
    : bytes.slice().buffer) as ArrayBuffer;

const convert = (response: Response, name: Reader, bytes: Uint8Array): unknown => {
  switch (name) {
    case "text":
      return decode(bytes);
    case "json":
      return JSON.parse(decode(bytes));
    case "arrayBuffer":
      return exact(bytes);
    case "bytes":
      return bytes;
    case "blob":
      return new Blob([exact(bytes)], { type: response.headers.get("content-type") ?? "" });
    case "formData":
      return new Response(exact(bytes), { headers: response.headers }).formData();
  }
};

const reader = (name: Reader) =>
  function (this: Patched): Promise<unknown> {
    const h = this[HOOKS];
    const n = native();
    const orig = n[name];
    if (h.tracked) {
      // Per-chunk timing: read the chunks ourselves.
      const stream = h.stream === undefined ? n.body.call(this) : h.stream;
      if (stream === null) return orig.call(this);
      if (stream.locked || this.bodyUsed) return Promise.reject(new TypeError("Body is unusable: it was already read"));
      return collect(stream, h).then((bytes) => convert(this, name, bytes));
    }
    const pending = orig.call(this);
    if (h.onDone === undefined) return pending.then(undefined, (e) => Promise.reject(mapError(h, e)));
    return pending.then((v) => (finish(h), v), (e) => (finish(h), Promise.reject(mapError(h, e))));
  };

const text = reader("text");
const json = reader("json");
const arrayBuffer = reader("arrayBuffer");
const bytes = reader("bytes");
const blob = reader("blob");
const formData = reader("formData");

function textStream(this: Patched): ReadableStream<string> | null {
  const stream = body.call(this);
  return stream === null ? null : stream.pipeThrough(new TextDecoderStream());
}

function clone(this: Patched): Response {
  const h = this[HOOKS];
  const copy = native().clone.call(this);
  // A URL the Node engines set as an own property: a native clone drops it.
  if (Object.hasOwn(this, "url")) Object.defineProperty(copy, "url", { value: this.url, configurable: true });
  // The clone maps errors too; the original keeps the pool slot and the timers.
  return h.repatch(copy, { request: h.request, classify: h.classify, tracked: false, version: h.version });
}

const method = (value: unknown): PropertyDescriptor => ({ value, writable: true, configurable: true });

/** Annex B's `__defineGetter__`, which every runtime here has and V8 runs faster than `defineProperty`. */
interface LegacyGetter {
  __defineGetter__(name: string, getter: () => unknown): void;
}

const makeNative = (): Native => {
  const P = Response.prototype as unknown as Record<string, unknown>;
  return {
    text: P.text as Native["text"],
    json: P.json as Native["json"],
    arrayBuffer: P.arrayBuffer as Native["arrayBuffer"],
    bytes: P.bytes as Native["bytes"],
    blob: P.blob as Native["blob"],
    formData: P.formData as Native["formData"],
    clone: P.clone as Native["clone"],
    body: Object.getOwnPropertyDescriptor(P, "body")!.get as Native["body"],
    patched: Object.create(P, {
      text: method(text),
      json: method(json),
      arrayBuffer: method(arrayBuffer),
      bytes: method(bytes),
      blob: method(blob),
      formData: method(formData),
      textStream: method(textStream),
      clone: method(clone),
      body: { get: body, configurable: true, enumerable: false },
    }),
  };
};

/**
 * Patches `response` in place so that its body's network failures surface as
 * typed errors, and (`onDone`, `onChunk`) so that its end and its chunks are
 * observed; returns the same object. The way V8 (Deno) runs fastest: own
 * properties, the getter through `__defineGetter__` (~0.2 µs in all, where
 * `Object.defineProperty` costs ~0.45 µs and a prototype swap ~0.7 µs).
 * Bun's `textStream` is not added: Deno's Response has none.
 *
 * @example
 * ```ts
 * import { patchWithOwnProperties } from "./body.ts";
 * const request = new Request("http://x.test/");
 * const response = patchWithOwnProperties(new Response("ok"), { request, classify: () => undefined, tracked: false });
 * await response.text(); // "ok"
 * ```
 */
export const patchWithOwnProperties = (response: Response, hooks: BodyHooks): Response => {
  // The hooks object is the caller's fresh literal: marked, not copied.
  (hooks as Hooks).repatch = patchWithOwnProperties;
  (response as Patched)[HOOKS] = hooks as Hooks;
  const r = response as unknown as Record<string, unknown> & LegacyGetter;
  r.text = text;
  r.json = json;
  r.arrayBuffer = arrayBuffer;
  r.bytes = bytes;
  r.blob = blob;
  r.formData = formData;
  r.clone = clone;
  r.__defineGetter__("body", body);
  return response;
};

/**
 * `patchWithOwnProperties`, the way JSC (Bun) runs fastest: one prototype
 * swap (~0.08 µs), where eight properties and a getter added to a native
 * object cost more. Keeps Bun's `textStream`, typed too.
 *
 * @example
 * ```ts
 * import { patchWithPrototype } from "./body.ts";
 * const request = new Request("http://x.test/");
 * const response = patchWithPrototype(new Response("ok"), { request, classify: () => undefined, tracked: false });
 * await response.text(); // "ok"
 * ```
 */
export const patchWithPrototype = (response: Response, hooks: BodyHooks): Response => {
  (hooks as Hooks).repatch = patchWithPrototype;
  (response as Patched)[HOOKS] = hooks as Hooks;
  Object.setPrototypeOf(response, native().patched);
  return response;
};

/**
 * Whether a response has no body to read (HEAD, 1xx, 204, 205, 304), decided
 * without touching `response.body` (on Deno that would move `text()` and
 * friends off their fast path).
 *
 * @example
 * ```ts
 * import { hasNoBody } from "./body.ts";
 * hasNoBody(new Request("http://x.test/"), new Response(null, { status: 204 })); // true
 * ```
 */
export const hasNoBody = (request: Request, response: Response): boolean => {
  const status = response.status;
  return request.method === "HEAD" || status < 200 || status === 204 || status === 205 || status === 304;
};
