/**
 * What `--har` needs from the pipeline: every exchange (each redirect hop
 * too), handed to a sink as it happens. A plugin, so it sees exactly what the
 * transport got and gave.
 *
 * MERGE NOTE (lead): this interface and cli/har.ts are a stop-gap written
 * while the shared `record` plugin (issue 15) is built on another branch.
 * At merge, replace `observeExchanges(sink)` + `harLog(...)` in cli.ts's
 * `--har` path with `record({ path })` from mod.ts and delete both files.
 *
 * @module
 */
import { Plugin, type TransportError } from "../mod.ts";

/** One exchange as the transport saw it. Bodies are read in the background, without holding up the caller. */
export interface Exchange {
  /** When the request was handed on (epoch ms). */
  readonly startedAt: number;
  /** The request as sent (its body already taken: see `requestBody`). */
  readonly request: Request;
  readonly requestBody: Promise<Uint8Array | undefined>;
  /** Milliseconds until the response headers (or the failure). */
  readonly waitMs: number;
  /** The response (a clone; the caller reads the original), or the error. */
  readonly outcome:
    | { readonly response: Response; readonly body: Promise<{ bytes: Uint8Array; receiveMs: number }> }
    | { readonly error: TransportError };
}

/** Receives each exchange. */
export type ExchangeSink = (exchange: Exchange) => void;

const bytesOf = (body: Promise<ArrayBuffer>): Promise<Uint8Array> =>
  body.then((b) => new Uint8Array(b), () => new Uint8Array(0));

/** A plugin that hands every exchange to `sink`. */
export const observeExchanges = (sink: ExchangeSink): Plugin =>
  Plugin.steps("har", () => {
    let startedAt = 0;
    let started = 0;
    let requestBody: Promise<Uint8Array | undefined> = Promise.resolve(undefined);
    return {
      onRequest: (request) => {
        startedAt = Date.now();
        started = performance.now();
        if (request.body !== null) requestBody = bytesOf(request.clone().arrayBuffer());
      },
      onResponse: (response, request) => {
        const waitMs = performance.now() - started;
        const copy = response.clone();
        const body = bytesOf(copy.arrayBuffer()).then((bytes) => ({
          bytes,
          receiveMs: performance.now() - started - waitMs,
        }));
        sink({ startedAt, request, requestBody, waitMs, outcome: { response: copy, body } });
      },
      onError: (error, request) => {
        sink({ startedAt, request, requestBody, waitMs: performance.now() - started, outcome: { error } });
      },
    };
  });
