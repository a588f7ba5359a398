/**
 * A logging plugin that never logs credentials, written on `Plugin.steps`.
 *
 * @module
 */
import { Effect } from "effect";
import type { TransportError } from "../core/errors.ts";
import { redactUrl } from "../core/redact.ts";
import { Plugin } from "../core/plugin.ts";
import { func, object, optional } from "../core/options.ts";

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

const checkOptions = object({ log: optional(func<(record: LogRecord) => void>("a function (record) => void")) });

/**
 * Logs one record per request (method, redacted URL, status or error, time
 * to headers). Header values and bodies are never logged; a cancelled call
 * is not logged. Without a `log` function it writes through `Effect.logInfo`
 * / `Effect.logWarning`, so the app's Effect logger decides where lines go
 * (on `client.fetch`'s Promise lane, which has no fiber, the default logger).
 *
 * @example Records, redacted
 * ```ts
 * import { Client, logging, MockTransport } from "@switchyard/switchyard";
 * const lines: string[] = [];
 * await using client = Client.make({
 *   transport: MockTransport.make(() => new Response("ok")),
 *   plugins: [logging({ log: (r) => void lines.push(`${r.method} ${r.url} ${r.status}`) })],
 * });
 * await (await client.fetch("http://user:pw@api.test/")).text();
 * console.assert(lines[0] === "GET http://[redacted]@api.test/ 200");
 * ```
 */
export const logging = (options: { readonly log?: (record: LogRecord) => void } = {}): Plugin => {
  const log = checkOptions(options, "logging").log;
  const emit = (record: LogRecord): void | Effect.Effect<void> =>
    log
      ? log(record)
      : record.error
      ? Effect.logWarning(`${record.method} ${record.url} failed: ${record.error.tag} (${record.ms.toFixed(1)} ms)`)
      : Effect.logInfo(`${record.method} ${record.url} ${record.status} (${record.ms.toFixed(1)} ms)`);
  const failed = (error: TransportError) => ({ error: { tag: error._tag, message: error.message } });
  return Plugin.steps("logging", () => {
    const started = performance.now();
    return {
      onResponse: (response, request) => emit(record(request, started, { status: response.status })),
      onError: (error, request) => emit(record(request, started, failed(error))),
    };
  });
};

const record = (request: Request, started: number, outcome: Pick<LogRecord, "status" | "error">): LogRecord => ({
  method: request.method,
  url: redactUrl(request.url),
  ...outcome,
  ms: performance.now() - started,
});
