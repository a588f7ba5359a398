/**
 * A logging plugin that never logs credentials.
 *
 * @module
 */
import { Effect } from "effect";
import { type TransportError, TransportErrorBase } from "../core/errors.ts";
import { redactUrl } from "../core/redact.ts";
import { type Plugin, Transport } from "../core/transport.ts";

/**
 * One log record: what was sent, what came back, how long it took.
 *
 * @example
 * ```ts
 * import { type LogRecord, logging } from "@switchyard/switchyard";
 * const plugin = logging({ log: (r: LogRecord) => console.log(`${r.method} ${r.url} ${r.status ?? r.error?.tag}`) });
 * ```
 */
export interface LogRecord {
  /** The method. */
  readonly method: string;
  /** The URL, userinfo and secret query values redacted. */
  readonly url: string;
  /** The status, when a response arrived. */
  readonly status?: number;
  /** The error's tag and message (already redacted), when it failed. */
  readonly error?: { readonly tag: string; readonly message: string };
  /** Milliseconds until the response headers (or the failure). */
  readonly ms: number;
}

/**
 * Logs one line per request (method, redacted URL, status or error, time to
 * headers). Header values and bodies are never logged. Without a `log`
 * function it writes through `Effect.logInfo` / `Effect.logWarning`, so the
 * app's Effect logger decides where lines go (on `client.fetch`'s Promise
 * lane, which has no fiber, the default logger).
 *
 * @example
 * ```ts
 * import { Client, logging, MockTransport } from "@switchyard/switchyard";
 * const lines: string[] = [];
 * await using client = Client.make({
 *   transport: MockTransport.make(() => new Response("ok")),
 *   plugins: [logging({ log: (r) => void lines.push(`${r.method} ${r.url} ${r.status}`) })],
 * });
 * await (await client.fetch("http://user:pw@api.test/")).text();
 * // lines: ["GET http://[redacted]@api.test/ 200"]
 * ```
 */
export const logging = (options: { readonly log?: (record: LogRecord) => void } = {}): Plugin => {
  const log = options.log;
  // The Effect lane writes through the fiber's logger; the Promise lane, which has no fiber, through the default one.
  const emit = (record: LogRecord): Effect.Effect<void> =>
    log
      ? Effect.sync(() => log(record))
      : record.error
      ? Effect.logWarning(`${record.method} ${record.url} failed: ${record.error.tag} (${record.ms.toFixed(1)} ms)`)
      : Effect.logInfo(`${record.method} ${record.url} ${record.status} (${record.ms.toFixed(1)} ms)`);
  const emitNow = (record: LogRecord): void => log ? log(record) : Effect.runSync(emit(record));
  const failed = (error: TransportError) => ({ error: { tag: error._tag, message: error.message } });
  return (next) =>
    Transport.wrap(
      next,
      (request) =>
        Effect.suspend(() => {
          const started = performance.now();
          return next.handle(request).pipe(
            Effect.tap((response) => emit(record(request, started, { status: response.status }))),
            Effect.tapError((error) => emit(record(request, started, failed(error)))),
          );
        }),
      // The Promise lane: the same records. A cancelled call (it rejects with the signal's reason) is not logged,
      // as interruption is not on the Effect lane.
      (request) => {
        const started = performance.now();
        return next.fetch!(request).then(
          (response) => {
            emitNow(record(request, started, { status: response.status }));
            return response;
          },
          (error) => {
            if (error instanceof TransportErrorBase) emitNow(record(request, started, failed(error as TransportError)));
            throw error;
          },
        );
      },
    );
};

const record = (request: Request, started: number, outcome: Pick<LogRecord, "status" | "error">): LogRecord => ({
  method: request.method,
  url: redactUrl(request.url),
  ...outcome,
  ms: performance.now() - started,
});
