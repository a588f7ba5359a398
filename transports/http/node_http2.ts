/**
 * The node:http2 engine, for HTTP/2 that Bun's `fetch` cannot do: ALPN
 * negotiation (`h2` and `http/1.1` offered, the server picks) and h2c with
 * prior knowledge. Bun implements node:http2's client; so does Deno.
 *
 * - Over TLS it offers `["h2", "http/1.1"]` (`["h2"]` with `http1: false`).
 *   When the server picks HTTP/1.1 (or offers no ALPN), `send` rejects with
 *   `Http1Chosen` before a byte of the request was written and remembers the
 *   origin (`protocolOf`): the caller sends it, and the origin's later
 *   requests, some other way (negotiated.ts hands them to fetch).
 * - One session per origin, shared by concurrent requests (multiplexed); kept
 *   `limits.keepAliveExpiry` ms (default 5 s) after its last stream, unref'd
 *   while idle (it does not hold the process), destroyed by `close()`.
 * - It sees the phases before the response: `ConnectTimeout` (TCP, TLS, ALPN
 *   and the server's settings), `WriteTimeout` (the body stuck on flow
 *   control), `ReadTimeout` (no headers within `read` of sending) are exact.
 *   The body's read deadline is the transport's: an abort of the signal ends
 *   the stream with its reason.
 * - Like the host's `fetch`, it adds the host's default headers (`host.defaults`)
 *   and decompresses the body (decoders.ts).
 * - This file is the only place node:http2's failures are mapped to the tree.
 *
 * @module
 */
import type http2 from "node:http2";
import type { Readable } from "node:stream";
import type tls from "node:tls";
import type zlib from "node:zlib";
import {
  ConnectError,
  ConnectTimeout,
  DecodingError,
  LocalProtocolError,
  ReadError,
  ReadTimeout,
  RemoteProtocolError,
  type TransportError,
  WriteError,
  WriteTimeout,
} from "../../core/errors.ts";
import { decoderFor } from "./decoders.ts";
import {
  type BodyKind,
  codeOf,
  describeRuntimeError,
  type Engine,
  isPassThrough,
  isTlsVerifyCode,
  markedVersion,
  markVersion,
  withUrl,
} from "./engine.ts";
import type { ResolvedHttpOptions } from "./options.ts";

type Timer = ReturnType<typeof setTimeout>;
type Phase = "connect" | "write" | "wait" | "body";

/**
 * Why `send` gave a request back unsent: the server picked HTTP/1.1 in ALPN.
 *
 * @example
 * ```ts
 * import { Http1Chosen } from "./node_http2.ts";
 * console.assert(new Http1Chosen("https://example.org").origin === "https://example.org");
 * ```
 */
export class Http1Chosen extends Error {
  /** Builds it for `origin`. */
  constructor(readonly origin: string) {
    super(`${origin} chose HTTP/1.1 in ALPN`);
  }
}

/** What the host runtime decides for this engine. */
export interface Http2Host {
  readonly bodyKind: (request: Request) => BodyKind;
  readonly patch: Engine["patch"];
  /** Headers the host's `fetch` adds when a request has none of that name (lowercase names). */
  readonly defaults: ReadonlyArray<readonly [string, string]>;
}

/**
 * The engine, and what it learned of each origin.
 *
 * @example
 * ```ts
 * import type { Http2Engine } from "./node_http2.ts";
 * const speaksH2 = (engine: Http2Engine) => engine.protocolOf("https://example.org") === "h2";
 * ```
 */
export interface Http2Engine extends Engine {
  /** What `origin` picked in ALPN on its last new connection; `undefined` before one. */
  readonly protocolOf: (origin: string) => "h2" | "http/1.1" | undefined;
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);
/** Connection-specific headers HTTP/2 forbids (RFC 9113 §8.2.2); `host` becomes `:authority`. */
const CONNECTION_HEADERS = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);
/** Origins remembered (oldest forgotten first): enough for any real set of hosts, bounded for a crawler. */
const MAX_REMEMBERED = 1024;
const DEFAULT_IDLE_MS = 5_000;

/** node:http2's failure in `phase` as a class of the tree (the phase decides; the code refines). */
const classify = (error: unknown, request: Request, phase: Phase): TransportError => {
  const code = codeOf(error);
  const detail = `${code ? `${code}: ` : ""}${describeRuntimeError(error)}`;
  const options = { detail, cause: error };
  if (/^ERR_INVALID_|^ERR_HTTP2_(INVALID_HEADER|HEADER_|INVALID_PSEUDOHEADER|INVALID_CONNECTION)/.test(code)) {
    return new LocalProtocolError(request, options);
  }
  switch (phase) {
    case "connect":
      if (isTlsVerifyCode(code)) {
        return new ConnectError(request, { ...options, detail: `TLS certificate verification failed (${detail})` });
      }
      if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
        return new ConnectError(request, { ...options, detail: `DNS lookup failed (${detail})` });
      }
      // Nothing of the request was written before the session existed.
      return new ConnectError(request, options);
    case "write":
      return code === "ECONNRESET" || code === "EPIPE"
        ? new WriteError(request, options)
        : new RemoteProtocolError(request, options);
    case "wait":
      return new RemoteProtocolError(request, options);
    case "body":
      return new ReadError(request, options);
  }
};

/** The HTTP/2 request headers: pseudo-headers first, connection-specific ones dropped, the host's defaults added. */
const requestHeaders = (
  request: Request,
  url: URL,
  defaults: Http2Host["defaults"],
): Record<string, string> => {
  const out: Record<string, string> = {
    ":method": request.method,
    ":scheme": url.protocol === "https:" ? "https" : "http",
    ":authority": url.host,
    ":path": `${url.pathname}${url.search}`,
  };
  request.headers.forEach((value, name) => {
    if (CONNECTION_HEADERS.has(name) || name === "host") return;
    if (name === "te" && value.trim().toLowerCase() !== "trailers") return;
    out[name] = value;
  });
  if ((url.username !== "" || url.password !== "") && !("authorization" in out)) {
    // Userinfo becomes `Authorization: Basic`, as fetch does (on both runtimes).
    const pair = new TextEncoder().encode(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`);
    out.authorization = `Basic ${btoa(String.fromCharCode(...pair))}`;
  }
  for (const [name, value] of defaults) if (!(name in out)) out[name] = value;
  return out;
};

const responseHeaders = (raw: http2.IncomingHttpHeaders): Headers => {
  const headers = new Headers();
  for (const name in raw) {
    if (name.startsWith(":")) continue;
    const value = raw[name];
    if (Array.isArray(value)) { for (const v of value) headers.append(name, v); }
    else if (value !== undefined) headers.append(name, String(value));
  }
  return headers;
};

const unref = (timer: Timer): Timer => {
  (timer as { unref?: () => void }).unref?.();
  return timer;
};

/** The node modules, loaded on first use (node:http2 costs ~20-35 ms to import on Bun). */
interface Modules {
  readonly http2: typeof http2;
  readonly tls: typeof tls;
  readonly zlib: typeof zlib;
  /** The trust store and client certificate, built once; `undefined` for the defaults. */
  readonly secureContext: tls.SecureContext | undefined;
}

/** One origin's connection: connecting (`ready` pending), live, or dead (never reused). */
interface Entry {
  readonly origin: string;
  readonly ready: Promise<http2.ClientHttp2Session>;
  session: http2.ClientHttp2Session | undefined;
  socket: tls.TLSSocket | undefined;
  active: number;
  idle: Timer | undefined;
  dead: boolean;
  /** Ends a pending connect with `error` (close(), the connect timeout). */
  abort: (error: unknown) => void;
}

/** The connect deadline's rejection, made a `ConnectTimeout` per request. */
const CONNECT_TIMED_OUT = Object.freeze({ connectTimedOut: true });

/** Resolves with `promise`, or rejects with `signal`'s reason when it aborts first. */
const untilAborted = <A>(promise: Promise<A>, signal: AbortSignal | undefined): Promise<A> => {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<A>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener("abort", onAbort), resolve(value)),
      (error) => (signal.removeEventListener("abort", onAbort), reject(error)),
    );
  });
};

/**
 * Builds the node:http2 engine.
 *
 * @example
 * ```ts
 * import { makeHttp2Engine } from "./node_http2.ts";
 * import { resolveHttpOptions } from "./options.ts";
 * import { patchWithPrototype } from "./body.ts";
 * const engine = makeHttp2Engine(resolveHttpOptions({ http2: true }), {
 *   bodyKind: (request) => (request.body === null ? "none" : "unknown"),
 *   patch: patchWithPrototype,
 *   defaults: [["accept", "*\/*"]],
 * });
 * console.assert(engine.protocolOf("https://example.org") === undefined);
 * engine.close();
 * ```
 */
export const makeHttp2Engine = (o: ResolvedHttpOptions, host: Http2Host): Http2Engine => {
  const t = o.timeout;
  const sessions = new Map<string, Entry>();
  const learned = new Map<string, "h2" | "http/1.1">();
  const alpn = o.http1 ? ["h2", "http/1.1"] : ["h2"];
  const idleMs = o.limits.keepAliveExpiry ?? DEFAULT_IDLE_MS;
  const maxIdle = o.limits.maxKeepAliveConnections;
  let closed = false;

  let loaded: Promise<Modules> | undefined;
  let modules: Modules | undefined;
  const load = (): Promise<Modules> =>
    loaded ??= Promise.all([import("node:http2"), import("node:tls"), import("node:zlib")]).then(([h, s, z]) => {
      const tlsModule = (s.default ?? s) as typeof tls;
      const { caCerts, cert, key } = o.tls;
      const secureContext = caCerts.length === 0 && cert === undefined ? undefined : tlsModule.createSecureContext({
        // `caCerts` add to the system's roots (an explicit `ca` would replace them).
        ...(caCerts.length > 0 ? { ca: [...tlsModule.rootCertificates, ...caCerts] } : {}),
        ...(cert === undefined ? {} : { cert, key }),
      });
      return modules = {
        http2: (h.default ?? h) as typeof http2,
        tls: tlsModule,
        zlib: (z.default ?? z) as typeof zlib,
        secureContext,
      };
    });

  const learn = (origin: string, protocol: "h2" | "http/1.1") => {
    learned.delete(origin);
    learned.set(origin, protocol);
    if (learned.size > MAX_REMEMBERED) learned.delete(learned.keys().next().value!);
  };

  const retire = (entry: Entry) => {
    entry.dead = true;
    if (entry.idle !== undefined) clearTimeout(entry.idle);
    entry.idle = undefined;
    if (sessions.get(entry.origin) === entry) sessions.delete(entry.origin);
  };

  const idleCount = (): number => {
    let n = 0;
    for (const entry of sessions.values()) if (entry.active === 0 && entry.session !== undefined) n++;
    return n;
  };

  /** A stream ended: an idle session is unref'd, and closed after `idleMs` (or at once past `maxIdle`). */
  const release = (entry: Entry) => {
    entry.active--;
    if (entry.active > 0) return;
    const session = entry.session!;
    // Retired (GOAWAY, an error): closed once its last stream ended, never left holding the process.
    if (entry.dead) return void session.close();
    if (maxIdle !== undefined && idleCount() > maxIdle) {
      retire(entry);
      return void session.close();
    }
    session.unref();
    entry.idle = unref(setTimeout(() => {
      retire(entry);
      session.close();
    }, idleMs));
  };

  const connect = (m: Modules, url: URL, origin: string): Entry => {
    let settle!: { resolve: (s: http2.ClientHttp2Session) => void; reject: (e: unknown) => void };
    const ready = new Promise<http2.ClientHttp2Session>((resolve, reject) => (settle = { resolve, reject }));
    // A request that gave up (abort) no longer awaits it: never an unhandled rejection.
    ready.catch(() => {});
    let pending = true;
    let timer: Timer | undefined;
    const entry: Entry = {
      origin,
      ready,
      session: undefined,
      socket: undefined,
      active: 0,
      idle: undefined,
      dead: false,
      abort: (error) => {
        if (!pending) return;
        pending = false;
        if (timer !== undefined) clearTimeout(timer);
        retire(entry);
        entry.session?.destroy();
        entry.socket?.destroy();
        settle.reject(error);
      },
    };
    if (t.connect !== undefined) timer = setTimeout(() => entry.abort(CONNECT_TIMED_OUT), t.connect);
    const open = (socket: tls.TLSSocket | undefined) => {
      let session: http2.ClientHttp2Session;
      try {
        session = socket === undefined
          ? m.http2.connect(origin)
          : m.http2.connect(origin, { createConnection: () => socket });
      } catch (error) {
        return entry.abort(error);
      }
      entry.session = session;
      // Streams report their own failures; the session only stops being reused.
      session.on("error", (error: unknown) => (pending ? entry.abort(error) : retire(entry)));
      session.on("goaway", () => retire(entry));
      session.once("close", () => {
        entry.abort(Object.assign(new Error("the connection closed before HTTP/2 settings"), { code: "ECONNRESET" }));
        retire(entry);
      });
      session.once("connect", () => {
        if (!pending) return;
        pending = false;
        if (timer !== undefined) clearTimeout(timer);
        settle.resolve(session);
      });
    };
    if (url.protocol === "http:") open(undefined);
    else {
      const hostname = url.hostname.replace(/^\[|\]$/g, "");
      const socket = m.tls.connect({
        host: hostname,
        port: url.port === "" ? 443 : Number(url.port),
        ALPNProtocols: alpn,
        rejectUnauthorized: !o.tls.insecure,
        // SNI takes a name, never an IP literal.
        ...(/^[\d.]+$/.test(hostname) || hostname.includes(":") ? {} : { servername: hostname }),
        ...(m.secureContext === undefined ? {} : { secureContext: m.secureContext }),
      });
      entry.socket = socket;
      socket.on("error", (error: unknown) => entry.abort(error));
      socket.once("secureConnect", () => {
        if (!pending) return;
        const chosen = socket.alpnProtocol === "h2" ? "h2" : "http/1.1";
        learn(origin, chosen);
        if (chosen === "h2") return open(socket);
        entry.abort(
          o.http1
            ? new Http1Chosen(origin)
            : Object.assign(new Error("the server did not agree to HTTP/2 in ALPN"), { code: "ERR_HTTP2_ALPN" }),
        );
      });
    }
    sessions.set(origin, entry);
    return entry;
  };

  /** The live entry for `origin`, or a new connection to it. */
  const entryFor = (m: Modules, url: URL, origin: string): Entry => {
    const entry = sessions.get(origin);
    const session = entry?.session;
    if (entry !== undefined && !entry.dead && (session === undefined || (!session.closed && !session.destroyed))) {
      return entry;
    }
    if (entry !== undefined) retire(entry);
    return connect(m, url, origin);
  };

  const connectFailure = (error: unknown, request: Request, signal: AbortSignal | undefined): unknown => {
    if (isPassThrough(error, signal) || error instanceof Http1Chosen) return error;
    if (error === CONNECT_TIMED_OUT) {
      return new ConnectTimeout(request, {
        detail: `no HTTP/2 connection (TCP, TLS, ALPN, settings) within ${t.connect} ms`,
      });
    }
    if (codeOf(error) === "ERR_HTTP2_ALPN") {
      return new ConnectError(request, { detail: "the server did not agree to HTTP/2 in ALPN", cause: error });
    }
    return classify(error, request, "connect");
  };

  const send = async (request: Request, signal: AbortSignal | undefined): Promise<Response> => {
    const m = modules ?? await load();
    const url = new URL(request.url);
    const origin = url.origin;
    if (closed) throw new ConnectError(request, { detail: "the transport is closed" });
    const entry = entryFor(m, url, origin);
    let session: http2.ClientHttp2Session;
    try {
      session = await untilAborted(entry.ready, signal);
    } catch (error) {
      throw connectFailure(error, request, signal);
    }
    return exchange(m, entry, session, request, url, signal);
  };

  /** One stream: write the request, wait for the headers, stream the body. */
  const exchange = (
    m: Modules,
    entry: Entry,
    session: http2.ClientHttp2Session,
    request: Request,
    url: URL,
    signal: AbortSignal | undefined,
  ): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const body = host.bodyKind(request) === "none" ? null : request.body;
      let phase: Phase = "write";
      let timer: Timer | undefined;
      let settled = false;
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request(requestHeaders(request, url, host.defaults), { endStream: body === null });
      } catch (error) {
        // A header node:http2 refuses, or a session that just closed: nothing was sent.
        const code = codeOf(error);
        return reject(
          /^ERR_HTTP2_(INVALID_SESSION|GOAWAY_SESSION|STREAM_CANCEL)/.test(code)
            ? new ConnectError(request, { detail: `the HTTP/2 session had closed (${code})`, cause: error })
            : classify(error, request, "write"),
        );
      }
      entry.active++;
      if (entry.idle !== undefined) clearTimeout(entry.idle);
      entry.idle = undefined;
      session.ref();
      stream.once("close", () => release(entry));

      const cancel = () => {
        if (!stream.closed && !stream.destroyed) stream.close(m.http2.constants.NGHTTP2_CANCEL);
      };
      const arm = (ms: number | undefined, make: () => TransportError) => {
        if (timer !== undefined) clearTimeout(timer);
        timer = ms === undefined ? undefined : setTimeout(() => fail(make()), ms);
      };
      const fail = (error: unknown) => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (settled) return;
        settled = true;
        cancel();
        reject(isPassThrough(error, signal) ? error : classify(error, request, phase));
      };
      const onAbort = () => fail(signal!.reason);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });

      const waitForHeaders = () => {
        if (settled) return; // answered while the body was still going out
        phase = "wait";
        arm(t.read, () => new ReadTimeout(request, { detail: `no response headers within ${t.read} ms of sending` }));
      };
      stream.on("error", (error: unknown) => fail(error));
      stream.once("close", () => {
        if (settled) return;
        fail(
          new RemoteProtocolError(request, {
            detail: `the server closed the HTTP/2 stream without a response (RST_STREAM code ${stream.rstCode ?? 0})`,
          }),
        );
      });
      stream.once("response", (raw: http2.IncomingHttpHeaders) => {
        if (settled) return;
        if (timer !== undefined) clearTimeout(timer);
        settled = true;
        phase = "body";
        signal?.removeEventListener("abort", onAbort);
        const status = Number(raw[":status"]);
        const headers = responseHeaders(raw);
        if (NULL_BODY.has(status) || request.method === "HEAD") {
          stream.resume();
          return resolve(markVersion(withUrl(new Response(null, { status, headers }), request), "HTTP/2"));
        }
        resolve(markVersion(
          withUrl(new Response(bodyStream(m, stream, request, headers, signal), { status, headers }), request),
          "HTTP/2",
        ));
      });

      if (body === null) return waitForHeaders();
      writeBody(body, stream, arm, request).then(waitForHeaders, (error) => fail(error));
    });

  /** Writes `body` with backpressure; the write timeout runs while the stream takes no data. */
  const writeBody = async (
    body: ReadableStream<Uint8Array>,
    stream: http2.ClientHttp2Stream,
    arm: (ms: number | undefined, make: () => TransportError) => void,
    request: Request,
  ): Promise<void> => {
    const reader = body.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      if (stream.destroyed || stream.closed) return void reader.cancel().catch(() => {});
      if (stream.write(r.value)) continue;
      arm(t.write, () => new WriteTimeout(request, { detail: `the HTTP/2 stream took no data for ${t.write} ms` }));
      await new Promise<void>((resolve) => {
        const done = () => {
          stream.off("drain", done);
          stream.off("close", done);
          resolve();
        };
        stream.on("drain", done);
        stream.on("close", done);
      });
      arm(undefined, () => new WriteTimeout(request));
    }
    stream.end();
  };

  /** The response body: backpressure, decompression, failures typed, nothing enqueued once it ended. */
  const bodyStream = (
    m: Modules,
    stream: http2.ClientHttp2Stream,
    request: Request,
    headers: Headers,
    signal: AbortSignal | undefined,
  ): ReadableStream<Uint8Array> => {
    const decoder = decoderFor(m.zlib, headers.get("content-encoding") ?? undefined);
    const source: Readable = decoder === undefined ? stream : stream.pipe(decoder);
    let ended = false;
    let rawEnded = false;
    const stop = () => {
      ended = true;
      signal?.removeEventListener("abort", onAbort);
    };
    let onAbort = () => {};
    return new ReadableStream<Uint8Array>({
      start(controller) {
        const fail = (error: unknown) => {
          if (ended) return;
          stop();
          controller.error(error);
          if (!stream.closed && !stream.destroyed) stream.close(m.http2.constants.NGHTTP2_CANCEL);
          decoder?.destroy();
        };
        onAbort = () => fail(signal!.reason);
        if (signal?.aborted) return onAbort();
        signal?.addEventListener("abort", onAbort, { once: true });
        source.on("data", (chunk: Uint8Array) => {
          if (ended) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 1) <= 0) source.pause();
        });
        source.once("end", () => {
          if (ended) return;
          stop();
          controller.close();
        });
        stream.once("end", () => (rawEnded = true));
        stream.on(
          "error",
          (error: unknown) => fail(isPassThrough(error, signal) ? error : classify(error, request, "body")),
        );
        stream.once("close", () => {
          if (rawEnded) return;
          fail(
            new ReadError(request, {
              detail: `the HTTP/2 stream closed mid-body (RST_STREAM code ${stream.rstCode ?? 0})`,
            }),
          );
        });
        decoder?.on("error", (error: unknown) =>
          fail(
            new DecodingError(request, [{
              path: [],
              message: `the ${headers.get("content-encoding")}-encoded body did not decompress (${
                describeRuntimeError(error)
              })`,
            }], error),
          ));
      },
      pull() {
        source.resume();
      },
      cancel() {
        if (ended) return;
        stop();
        if (!stream.closed && !stream.destroyed) stream.close(m.http2.constants.NGHTTP2_CANCEL);
        decoder?.destroy();
      },
    }, { highWaterMark: 1 });
  };

  return {
    name: "node:http2",
    send,
    classify: (error, request) => classify(error, request, "wait"),
    classifyBody: (error, request) => (codeOf(error) === "" ? undefined : classify(error, request, "body")),
    check: undefined,
    bodyKind: host.bodyKind,
    // Connect, write and the wait for the headers are timed here; the body by the transport.
    observesConnect: false,
    observesConnectOf: () => true,
    wantsSignal: true,
    proxied: false,
    patch: host.patch,
    version: markedVersion,
    protocolOf: (origin) => learned.get(origin),
    close: () => {
      closed = true;
      for (const entry of [...sessions.values()]) {
        entry.abort(new Error("the transport closed"));
        retire(entry);
        entry.session?.destroy();
      }
      sessions.clear();
    },
  };
};
