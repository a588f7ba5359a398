/**
 * Captures one exchange as a HAR entry while it happens, for `record` and
 * for `replay`'s `record-missing` mode.
 *
 * The response body is not buffered ahead of the caller: the caller gets a
 * pass-through stream that pulls from the real body only when the caller
 * reads, and keeps a copy of each chunk (up to `maxBodyBytes`). The entry is
 * complete when the caller has read the body to its end, cancelled it, or the
 * body failed; a response without a body completes it at once. The request
 * body is read from a copy taken before the request is sent.
 *
 * @module
 */
import type { TransportError } from "./errors.ts";
import { encodeBody, type HarEntry, type HarPostData, type HarResponse } from "./har.ts";
import type { Redactor } from "./har_redact.ts";
import { concatBytes } from "./bytes.ts";

/** How to capture: the redaction, the body cap, and where finished entries go. */
export interface CaptureOptions {
  readonly redactor: Redactor;
  /** Bytes of each body kept in the entry; the rest is counted, not kept. */
  readonly maxBodyBytes: number;
  /** Called once per exchange, when its entry is complete. */
  readonly onEntry: (entry: HarEntry) => void;
}

/** One exchange being captured. */
export interface Capture {
  /** The response the caller gets instead of `response`: the same, with its body passed through. */
  readonly response: (response: Response) => Response;
  /** The exchange failed: completes the entry as a request without a response. */
  readonly error: (error: TransportError) => void;
}

/** Bytes collected up to a cap; `size` counts everything seen. */
class Collected {
  readonly chunks: Array<Uint8Array> = [];
  size = 0;
  kept = 0;
  constructor(readonly max: number) {}
  add(chunk: Uint8Array): void {
    this.size += chunk.byteLength;
    if (this.kept >= this.max) return;
    const part = chunk.byteLength <= this.max - this.kept ? chunk : chunk.subarray(0, this.max - this.kept);
    this.chunks.push(part.slice());
    this.kept += part.byteLength;
  }
  bytes(): Uint8Array {
    return concatBytes(this.chunks, this.kept, true);
  }
  get cut(): boolean {
    return this.size > this.kept;
  }
}

const readAll = async (body: ReadableStream<Uint8Array>, max: number): Promise<Collected> => {
  const collected = new Collected(max);
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      collected.add(value);
    }
  } finally {
    reader.releaseLock();
  }
  return collected;
};

type Ending = { readonly how: "done" } | { readonly how: "cancel" } | {
  readonly how: "error";
  readonly error: unknown;
};

/**
 * `body` passed through: each chunk is handed to `onChunk` as the caller
 * reads it, and `onEnd` is called once, at the end, a cancel, or a failure.
 * `highWaterMark: 0`: nothing is pulled before the caller asks.
 */
const passThrough = (
  body: ReadableStream<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void,
  onEnd: (ending: Ending) => void,
): ReadableStream<Uint8Array> => {
  const reader = body.getReader();
  let ended = false;
  const end = (ending: Ending) => {
    if (ended) return;
    ended = true;
    onEnd(ending);
  };
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        end({ how: "error", error });
        controller.error(error);
        return;
      }
      if (result.done) {
        end({ how: "done" });
        controller.close();
        return;
      }
      onChunk(result.value);
      controller.enqueue(result.value);
    },
    cancel: (reason) => {
      end({ how: "cancel" });
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
};

const NULL_BODY = new Set([101, 204, 205, 304]);

/** Milliseconds to the microsecond: enough for a timing, and readable. */
const ms = (value: number): number => Math.round(value * 1000) / 1000;

const describeError = (error: unknown): string =>
  typeof error === "object" && error !== null && "_tag" in error && "message" in error
    ? `${String(error._tag)}: ${String(error.message)}`
    : error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);

/**
 * Starts capturing `request` (call it before the request is sent: its body
 * is copied now).
 *
 * @example
 * ```ts
 * import { capture } from "./har_capture.ts";
 * import { makeRedactor } from "./har_redact.ts";
 * const entries: unknown[] = [];
 * const c = capture(new Request("http://api.test/"), {
 *   redactor: makeRedactor(), maxBodyBytes: 1 << 20, onEntry: (e) => void entries.push(e),
 * });
 * await c.response(new Response("hi")).text(); // entries.length is 1 shortly after
 * ```
 */
export const capture = (request: Request, options: CaptureOptions): Capture => {
  const { redactor, maxBodyBytes } = options;
  const started = Date.now();
  const t0 = performance.now();
  const sent = request.body === null ? undefined : readAll(request.clone().body!, maxBodyBytes).catch(() => undefined);
  const url = new URL(request.url);
  url.hash = "";
  const requestMime = request.headers.get("content-type") ?? "";
  const harRequest = {
    method: request.method,
    url: redactor.url(url.href),
    httpVersion: "HTTP/1.1",
    cookies: redactor.requestCookies(request.headers.get("cookie")),
    headers: redactor.headers(request.headers),
    queryString: redactor.query(url),
    headersSize: -1,
  };

  const complete = (response: HarResponse, waited: number, received: number) => {
    const wait = ms(waited);
    const receive = ms(received);
    const finish = (body: Collected | undefined) => {
      let postData: HarPostData | undefined;
      if (body !== undefined) {
        const encoded = encodeBody(body.bytes(), requestMime);
        postData = {
          mimeType: requestMime,
          text: encoded.encoding === undefined ? redactor.body(encoded.text, requestMime) : encoded.text,
          ...(encoded.encoding === undefined ? {} : { _encoding: encoded.encoding }),
          ...(body.cut ? { comment: `cut at ${body.kept} of ${body.size} bytes` } : {}),
        };
      }
      options.onEntry({
        startedDateTime: new Date(started).toISOString(),
        time: wait + receive,
        request: { ...harRequest, ...(postData ? { postData } : {}), bodySize: body?.size ?? 0 },
        response,
        cache: {},
        timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait, receive },
      });
    };
    if (sent === undefined) finish(undefined);
    else sent.then(finish);
  };

  return {
    response: (response) => {
      const wait = performance.now() - t0;
      const mimeType = response.headers.get("content-type") ?? "";
      const encoded = response.headers.has("content-encoding");
      const head = {
        status: response.status,
        statusText: response.statusText,
        httpVersion: "HTTP/1.1",
        cookies: redactor.responseCookies(response.headers.getSetCookie()),
        headers: redactor.headers(response.headers),
        redirectURL: response.headers.get("location") ?? "",
        headersSize: -1,
      };
      const done = (collected: Collected, comment: string | undefined, error?: unknown) => {
        const body = encodeBody(collected.bytes(), mimeType);
        const cut = collected.cut ? `cut at ${collected.kept} of ${collected.size} bytes` : undefined;
        const note = [comment, cut].filter(Boolean).join("; ");
        complete(
          {
            ...head,
            content: {
              size: collected.size,
              mimeType,
              text: body.encoding === undefined ? redactor.body(body.text, mimeType) : body.text,
              ...(body.encoding === undefined ? {} : { encoding: body.encoding }),
              ...(note ? { comment: note } : {}),
            },
            // What came over the wire is unknown when the runtime decoded it.
            bodySize: encoded ? -1 : collected.size,
            ...(error === undefined ? {} : { _error: describeError(error) }),
          },
          wait,
          performance.now() - t0 - wait,
        );
      };
      if (response.body === null || NULL_BODY.has(response.status)) {
        done(new Collected(0), undefined);
        return response;
      }
      const collected = new Collected(maxBodyBytes);
      const body = passThrough(response.body, (chunk) => collected.add(chunk), (ending) => {
        if (ending.how === "done") done(collected, undefined);
        else if (ending.how === "cancel") {
          done(collected, `the caller cancelled the body after ${collected.size} bytes`);
        } else done(collected, `the body failed after ${collected.size} bytes`, ending.error);
      });
      return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    },
    error: (error) => {
      const wait = performance.now() - t0;
      complete(
        {
          status: 0,
          statusText: "",
          httpVersion: "",
          cookies: [],
          headers: [],
          content: { size: 0, mimeType: "x-unknown" },
          redirectURL: "",
          headersSize: -1,
          bodySize: -1,
          _error: describeError(error),
        },
        wait,
        0,
      );
    },
  };
};
