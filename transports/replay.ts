/**
 * `replay`: a transport that answers from a HAR file (Switchyard's own
 * recordings, or a browser's export), and in `record-missing` mode records
 * what is not there yet through a real transport.
 *
 * @module
 */
import { Effect } from "effect";
import {
  AppError,
  ConnectError,
  ConnectTimeout,
  InvalidOptions,
  LocalProtocolError,
  PoolTimeout,
  ProxyError,
  ReadError,
  ReadTimeout,
  RemoteProtocolError,
  type RequestLike,
  type TransportError,
  UnrecordedRequest,
  UnsupportedProtocol,
  WriteError,
  WriteTimeout,
} from "../core/errors.ts";
import { decodeBody, type Har, type HarEntry } from "../core/har.ts";
import { capture } from "../core/har_capture.ts";
import { type HarRedactOptions, makeRedactor } from "../core/har_redact.ts";
import { fileSink, type HarSink, HarWriter, readHarFile } from "../core/har_store.ts";
import { custom, number, object, optional } from "../core/options.ts";
import { bodyExcerpt, REDACTED } from "../core/redact.ts";
import { isTransport, Transport } from "../core/transport.ts";
import {
  inputOfEntry,
  inputOfRequest,
  makeParts,
  nearestEntries,
  type Parts,
  type ReplayMatch,
} from "./replay_match.ts";

/**
 * What `replay` does with a request:
 * - `"replay"` (default): answers from the recording; an unrecorded request
 *   fails with `UnrecordedRequest`, listing the nearest recorded entries.
 * - `"record-missing"`: answers from the recording, and sends what is not
 *   in it through `transport`, adding it to the recording.
 * - `"passthrough"`: sends everything through `transport`; nothing is
 *   replayed or recorded.
 *
 * @example
 * ```ts
 * import type { ReplayMode } from "@switchyard/switchyard/testing";
 * const mode: ReplayMode = Deno.env.get("RECORD") ? "record-missing" : "replay";
 * ```
 */
export type ReplayMode = "replay" | "record-missing" | "passthrough";

/**
 * Options of `replay`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { HttpTransport } from "@switchyard/switchyard";
 * import { type ReplayOptions } from "@switchyard/switchyard/testing";
 * const network = HttpTransport.make();
 * const options: ReplayOptions = {
 *   har: "tests/fixtures/api.har",
 *   mode: "record-missing",
 *   transport: network,
 *   match: { ignoreQuery: ["_ts"] },
 * };
 * await Effect.runPromise(network.close()); // the replay transport would close it
 * ```
 */
export interface ReplayOptions {
  /** The recording: a HAR file's path (read on the first request; Deno needs `--allow-read`), or the document. */
  readonly har: string | Har;
  /** See `ReplayMode`. */
  readonly mode?: ReplayMode;
  /** The real transport, for `record-missing` and `passthrough`; the replay transport owns and closes it. */
  readonly transport?: Transport;
  /**
   * Where `record-missing` writes the recording: a path or a sink (default:
   * the `har` path; none when `har` is a document: see `replayer.har()`).
   * On Deno, writing a file needs `--allow-write`.
   */
  readonly save?: string | HarSink;
  /** What is compared; see `ReplayMatch`. */
  readonly match?: ReplayMatch;
  /** What recording redacts, and (the same on both sides) what matching ignores; see `HarRedactOptions`. */
  readonly redact?: HarRedactOptions;
  /** Bytes of each body kept when recording (default 10 MiB). */
  readonly maxBodyBytes?: number;
}

/**
 * The replay transport, with its recording.
 *
 * @example
 * ```ts
 * import { replay, type ReplayTransport } from "@switchyard/switchyard/testing";
 * const replayer: ReplayTransport = replay({ har: { log: { version: "1.2", creator: { name: "t", version: "1" }, entries: [] } } });
 * console.assert((await replayer.har()).log.entries.length === 0);
 * ```
 */
export interface ReplayTransport extends Transport {
  /** The recording as it is now (with what `record-missing` added). */
  readonly har: () => Promise<Har>;
  /** Resolves when what `record-missing` recorded is written; rejects with the first write failure. */
  readonly flush: () => Promise<void>;
}

const MODES: ReadonlyArray<ReplayMode> = ["replay", "record-missing", "passthrough"];

const checkOptions = object({
  har: custom(
    (u): u is string | Har => typeof u === "string" || (typeof u === "object" && u !== null && "log" in u),
    "a HAR file's path, or a HAR document { log: { entries } }",
  ),
  mode: optional(
    custom((u): u is ReplayMode => MODES.includes(u as ReplayMode), MODES.map((m) => `"${m}"`).join(", ")),
  ),
  transport: optional(custom(isTransport, "a Transport, such as HttpTransport.make()")),
  save: optional(
    custom(
      (u): u is string | HarSink => typeof u === "string" || typeof u === "function",
      "a path, or a sink function",
    ),
  ),
  match: optional(custom((u): u is ReplayMatch => typeof u === "object" && u !== null, "an object")),
  redact: optional(custom((u): u is HarRedactOptions => typeof u === "object" && u !== null, "an object")),
  maxBodyBytes: optional(number("a whole number of bytes, 0 or more", { min: 0, integer: true })),
});

/** The transport errors a recorded `_error` may name, so a recorded failure replays as the same failure. */
const ERRORS: Record<string, new (request: RequestLike, options?: { detail?: string }) => TransportError> = {
  ConnectError,
  ConnectTimeout,
  ReadTimeout,
  WriteTimeout,
  PoolTimeout,
  ReadError,
  WriteError,
  LocalProtocolError,
  RemoteProtocolError,
  ProxyError,
  UnsupportedProtocol,
  AppError,
};

const NULL_BODY = new Set([101, 204, 205, 304]);
/** Headers that describe the bytes on the wire, not the decoded body a HAR holds. */
const WIRE_HEADERS = new Set(["content-encoding", "content-length", "transfer-encoding"]);

/** The answer a recorded entry gives: its response, or (status 0, as browsers write a failure) its error. */
const answerOf = (entry: HarEntry, request: Request): Effect.Effect<Response, TransportError> => {
  const recorded = entry.response;
  if (recorded.status === 0 || recorded.status < 200 || recorded.status > 599) {
    const why = recorded._error ?? `status ${recorded.status}`;
    const tag = /^(\w+):/.exec(why)?.[1];
    const Error = (tag !== undefined && ERRORS[tag]) || ConnectError;
    return Effect.fail(new Error(request, { detail: `replayed: ${why}` }));
  }
  const headers = new Headers();
  for (const { name, value } of recorded.headers ?? []) {
    // Pseudo-headers (HTTP/2), wire framing, and what was redacted at recording are not replayed.
    if (name.startsWith(":") || WIRE_HEADERS.has(name.toLowerCase()) || value === REDACTED) continue;
    try {
      headers.append(name, value);
    } catch {
      // A header fetch refuses: left out.
    }
  }
  const text = recorded.content?.text;
  const body = request.method === "HEAD" || NULL_BODY.has(recorded.status) || text === undefined
    ? null
    : decodeBody(text, recorded.content.encoding);
  return Effect.succeed(
    new Response(body, { status: recorded.status, statusText: recorded.statusText ?? "", headers }),
  );
};

const readBytes = (request: Request): Effect.Effect<Uint8Array | undefined, TransportError> =>
  request.body === null ? Effect.succeed(undefined) : Effect.tryPromise({
    try: () => request.clone().arrayBuffer().then((b) => new Uint8Array(b)),
    catch: (cause) => new WriteError(request, { cause, detail: "replay could not read the request body" }),
  });

/**
 * A transport that answers from a HAR 1.2 recording: Switchyard's (see
 * `record`), or one exported by a browser's developer tools (pseudo-headers,
 * `_`-prefixed fields, base64 bodies, form `params` are all understood).
 *
 * A request matches the entries with the same method, URL (query in any
 * order) and body, after the recording's redaction is applied to both
 * sides; `match` changes what is compared. Entries with the same key are
 * replayed in order, the last one repeating. A recorded failure (status 0)
 * replays as the same kind of error. The replayed body is the recorded,
 * decoded one, so `content-encoding` and `content-length` are dropped, and a
 * header recorded as `[redacted]` is not replayed.
 *
 * @example Replaying a recording, and what an unrecorded request says
 * ```ts
 * import { Client, MockTransport, UnrecordedRequest } from "@switchyard/switchyard";
 * import { record, replay } from "@switchyard/switchyard/testing";
 * const recorder = record();
 * await using live = Client.make({ transport: MockTransport.make(() => Response.json({ id: 1 })), plugins: [recorder] });
 * await (await live.fetch("http://api.test/users/1")).json();
 * await using client = Client.make({ transport: replay({ har: recorder.har() }) });
 * console.assert((await (await client.fetch("http://api.test/users/1")).json()).id === 1);
 * const missed = await client.fetch("http://api.test/users/2").catch((e) => e);
 * console.assert(missed instanceof UnrecordedRequest && /users\/1 \(entry 0\)/.test(missed.message));
 * ```
 */
export const replay = (options: ReplayOptions): ReplayTransport => {
  const opts = checkOptions(options, "");
  const mode = opts.mode ?? "replay";
  const real = opts.transport;
  if (mode !== "replay" && real === undefined) {
    throw new InvalidOptions({
      option: "transport",
      received: "undefined",
      expected: `the real transport mode "${mode}" sends through, such as HttpTransport.make()`,
    });
  }
  const redactor = makeRedactor(opts.redact);
  const partsOf = makeParts(opts.match);
  const save = opts.save ?? (typeof opts.har === "string" ? opts.har : undefined);
  const source = typeof opts.har === "string" ? opts.har : "the given document";

  interface Loaded {
    readonly writer: HarWriter;
    readonly parts: Array<Parts>;
    readonly byKey: Map<string, Array<number>>;
    readonly served: Map<string, number>;
    /** Why nothing can be replayed, when the recording could not be read. */
    readonly problem?: string;
  }
  const index = (loaded: Loaded, entry: HarEntry) => {
    const parts = partsOf(inputOfEntry(entry, redactor));
    loaded.parts.push(parts);
    const list = loaded.byKey.get(parts.key);
    if (list === undefined) loaded.byKey.set(parts.key, [loaded.parts.length - 1]);
    else list.push(loaded.parts.length - 1);
  };
  const build = (har: Har | undefined, problem?: string): Loaded => {
    const entries = [...(har?.log.entries ?? [])];
    const loaded: Loaded = {
      writer: new HarWriter(
        mode === "record-missing" && save !== undefined
          ? (typeof save === "string" ? fileSink(save) : save)
          : undefined,
        entries,
      ),
      parts: [],
      byKey: new Map(),
      served: new Map(),
      ...(problem === undefined ? {} : { problem }),
    };
    for (const entry of entries) index(loaded, entry);
    return loaded;
  };
  let loading: Promise<Loaded> | undefined;
  const load = (): Promise<Loaded> =>
    loading ??= typeof opts.har !== "string"
      ? Promise.resolve(build(opts.har))
      : readHarFile(opts.har).then((read) =>
        typeof read === "string"
          ? build(undefined, `the recording ${source} is not usable: ${read}`)
          : read === undefined && mode === "replay"
          ? build(undefined, `there is no recording at ${source} (record one with mode "record-missing")`)
          : build(read)
      );

  const recordMissing = (loaded: Loaded, request: Request): Effect.Effect<Response, TransportError> =>
    Effect.suspend(() => {
      const exchange = capture(request, {
        redactor,
        maxBodyBytes: opts.maxBodyBytes ?? 10 * 1024 * 1024,
        onEntry: (entry) => {
          loaded.writer.add(entry);
          index(loaded, entry);
        },
      });
      // A failure is not recorded: a passing network problem must not become a fixture.
      return Effect.map(real!.handle(request), exchange.response);
    });

  const answer = (request: Request): Effect.Effect<Response, TransportError> =>
    Effect.gen(function* () {
      const loaded = yield* Effect.promise(load);
      const bytes = yield* readBytes(request);
      const asked = partsOf(inputOfRequest(request, bytes, redactor));
      const candidates = loaded.byKey.get(asked.key);
      if (candidates !== undefined) {
        const n = loaded.served.get(asked.key) ?? 0;
        loaded.served.set(asked.key, n + 1);
        return yield* answerOf(loaded.writer.entries[candidates[Math.min(n, candidates.length - 1)]!]!, request);
      }
      if (mode === "record-missing" && loaded.problem === undefined) return yield* recordMissing(loaded, request);
      const body = asked.input.body;
      return yield* Effect.fail(
        new UnrecordedRequest(
          request,
          nearestEntries(loaded.parts, asked, opts.match),
          body === "" ? "" : `body ${bodyExcerpt(body, request.headers.get("content-type"))}`,
          loaded.problem ?? `the recording ${source} holds no entries`,
        ),
      );
    });

  const transport = Transport.make({
    kind: "replay",
    handle: mode === "passthrough" ? (request) => real!.handle(request) : answer,
    close: () =>
      Effect.andThen(
        Effect.promise(() => (loading ?? Promise.resolve(undefined)).then((l) => l?.writer.flush()).catch(() => {})),
        real === undefined ? Effect.void : real.close(),
      ),
  });
  return {
    ...transport,
    har: () => load().then((loaded) => loaded.writer.har()),
    flush: () => (loading ?? Promise.resolve(undefined)).then((loaded) => loaded?.writer.flush()),
  };
};
