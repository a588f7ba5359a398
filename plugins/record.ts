/**
 * `record`: a plugin that writes every exchange it sees to a HAR 1.2 file
 * (or any sink), secrets redacted, bodies streamed through untouched.
 *
 * @module
 */
import { Effect } from "effect";
import { InvalidOptions } from "../core/errors.ts";
import type { Har, HarEntry } from "../core/har.ts";
import { type Capture, capture } from "../core/har_capture.ts";
import { type HarRedactOptions, makeRedactor } from "../core/har_redact.ts";
import { fileSink, type HarSink, HarWriter } from "../core/har_store.ts";
import { boolean, custom, number, object, optional, string } from "../core/options.ts";
import { type Plugin, Plugin as Plugins } from "../core/plugin.ts";

/**
 * Options of `record`.
 *
 * @example
 * ```ts
 * import type { RecordOptions } from "@switchyard/switchyard/testing";
 * const options: RecordOptions = { path: "recordings/api.har", redact: { headers: ["x-tenant-key"] } };
 * ```
 */
export interface RecordOptions {
  /**
   * The HAR file to write (rewritten, complete, after each entry). On Deno
   * this needs `--allow-write` for it. Leave out both `path` and `sink` to
   * keep the recording in memory (`recorder.har()`).
   */
  readonly path?: string;
  /** Receives the whole document after each entry, instead of a file. */
  readonly sink?: HarSink;
  /** More to redact, or secret-looking names to keep; see `HarRedactOptions`. */
  readonly redact?: HarRedactOptions;
  /** Bytes of each body kept in the recording (default 10 MiB); the rest is counted, not kept. */
  readonly maxBodyBytes?: number;
  /** Record transport failures as entries with status 0 and `_error` (default `true`), as browsers do. */
  readonly errors?: boolean;
}

/**
 * The `record` plugin, with its recording.
 *
 * @example
 * ```ts
 * import { Client, MockTransport } from "@switchyard/switchyard";
 * import { type Recorder, record } from "@switchyard/switchyard/testing";
 * const recorder: Recorder = record();
 * await using client = Client.make({ transport: MockTransport.make(() => new Response("ok")), plugins: [recorder] });
 * await (await client.fetch("http://api.test/")).text();
 * console.assert(recorder.entries.length === 1);
 * ```
 */
export interface Recorder extends Plugin {
  /** The entries completed so far, oldest first. */
  readonly entries: ReadonlyArray<HarEntry>;
  /** The recording so far, as a HAR document. */
  readonly har: () => Har;
  /** Resolves when every completed entry is written; rejects with the first write failure (e.g. no permission). */
  readonly flush: () => Promise<void>;
}

const checkOptions = object({
  path: optional(string),
  sink: optional(custom((u): u is HarSink => typeof u === "function", "a function (har) => void | Promise<void>")),
  redact: optional(custom((u): u is HarRedactOptions => typeof u === "object" && u !== null, "an object")),
  maxBodyBytes: optional(number("a whole number of bytes, 0 or more", { min: 0, integer: true })),
  errors: optional(boolean),
});

/**
 * Records every exchange that passes it as a HAR 1.2 entry: request and
 * response lines, headers, cookies, query, bodies (text, or base64 when
 * binary), timings (`wait`: until the response head; `receive`: the body).
 *
 * Redacted by default: `Authorization`, `Proxy-Authorization`, `Cookie`,
 * `Set-Cookie` (and `X-Api-Key`, `X-Auth-Token`), URL userinfo, cookie
 * values, the values of secret-looking query parameters and body fields
 * (see `HarRedactOptions`). A response body is passed through as the caller
 * reads it, never buffered ahead; its entry is written when the caller has
 * read it to the end (or cancelled it, or it failed), so read or cancel every
 * body. Put `record` last in `plugins` to record what is sent after the
 * other plugins (auth, cookies) had their say. Both lanes: no Effect run on
 * the Promise lane.
 *
 * @example Recording to a sink, a secret redacted
 * ```ts
 * import { Client, MockTransport } from "@switchyard/switchyard";
 * import { type Har, record } from "@switchyard/switchyard/testing";
 * let last: Har | undefined;
 * const recorder = record({ sink: (har) => void (last = har) });
 * await using client = Client.make({ transport: MockTransport.make(() => Response.json({ ok: true })), plugins: [recorder] });
 * await (await client.fetch("http://api.test/me?api_key=k", { headers: { authorization: "Bearer s3cret" } })).json();
 * await recorder.flush();
 * console.assert(!JSON.stringify(last).includes("s3cret") && !JSON.stringify(last).includes("api_key=k"));
 * ```
 */
export const record = (options: RecordOptions = {}): Recorder => {
  const opts = checkOptions(options, "");
  if (opts.path !== undefined && opts.sink !== undefined) {
    throw new InvalidOptions({ option: "sink", received: "both `path` and `sink`", expected: "one of them" });
  }
  const redactor = makeRedactor(opts.redact);
  const writer = new HarWriter(opts.path !== undefined ? fileSink(opts.path) : opts.sink);
  const captureOptions = {
    redactor,
    maxBodyBytes: opts.maxBodyBytes ?? 10 * 1024 * 1024,
    onEntry: (entry: HarEntry) => writer.add(entry),
  };
  const recordErrors = opts.errors ?? true;
  const steps = Plugins.steps("record", () => {
    let current: Capture | undefined;
    return {
      onRequest: (request) => void (current = capture(request, captureOptions)),
      onResponse: (response) => current!.response(response),
      onError: (error) => void (recordErrors && current!.error(error)),
    };
  });
  // Closing the client waits for the writes already scheduled (their failures stay for `flush`).
  const plugin: Plugin = (next) => {
    const wrapped = steps(next);
    return {
      ...wrapped,
      close: () => Effect.andThen(Effect.promise(() => writer.flush().catch(() => {})), next.close()),
    };
  };
  Object.defineProperty(plugin, "name", { value: "record" });
  return Object.assign(plugin, {
    entries: writer.entries,
    har: () => writer.har(),
    flush: () => writer.flush(),
  });
};
