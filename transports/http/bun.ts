/**
 * The Bun engine: `fetch` with a `Bun.FetchSession` per transport (its own
 * keep-alive pool, closed by `close()`), and the only place where Bun's fetch
 * failures are mapped to the error tree.
 *
 * Bun puts a `.code` on a `TypeError` (docs/runtimes.md, "Errors"):
 * `ECONNREFUSED`, `ENOENT` (unix socket), `ENOTFOUND` / `EAI_AGAIN` (DNS) are
 * connect failures; `ECONNRESET` covers a server closing before answering,
 * garbage, a reset, and a close mid-body: only the phase tells them apart.
 *
 * @module
 */
import {
  ConnectError,
  InvalidOptions,
  LocalProtocolError,
  ProxyError,
  ReadError,
  RemoteProtocolError,
  type TransportError,
  UnsupportedProtocol,
} from "../../core/errors.ts";
import { pinnedAddress } from "../../core/connect_pin.ts";
import { takeUnabortableMark } from "../../core/transport.ts";
import { patchWithPrototype } from "./body.ts";
import {
  alpnVersion,
  type BodyKind,
  codeOf,
  describeRuntimeError,
  type Engine,
  type EngineFactory,
  markedOr,
} from "./engine.ts";
import { makeNodeEngine } from "./node.ts";
import type { ResolvedHttpOptions } from "./options.ts";
import { socksTunnel } from "./socks.ts";

interface BunTls {
  ca?: string[];
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
}
type BunProxy = false | string | { url: string; headers?: Record<string, string>; respectNoProxy?: boolean };
interface FetchSession {
  close(): void;
}
interface BunGlobal {
  FetchSession?: new (init: {
    tls?: BunTls;
    proxy?: BunProxy;
    keepAlive?: boolean | { idleTimeout?: number; maxIdleSockets?: number };
    unix?: string;
  }) => FetchSession;
}
const bun = (): BunGlobal => (globalThis as unknown as { Bun: BunGlobal }).Bun;
const env = (name: string): string | undefined =>
  (globalThis as unknown as { process?: { env: Record<string, string | undefined> } }).process?.env[name];

const refuse = (option: string, received: string, expected: string): never => {
  throw new InvalidOptions({ option, received, expected, runtime: "bun" });
};

/** Bun offers h2 in ALPN by default only with this flag (docs/runtimes.md, "HTTP/2"). */
const H2_FLAG = "BUN_FEATURE_FLAG_EXPERIMENTAL_HTTP2_CLIENT";
const flagged = (): boolean => env(H2_FLAG) === "1" || env(H2_FLAG) === "true";

/**
 * Fetch's `protocol` for these options. With `http2` and `http1`, fetch is left to its default: it
 * negotiates under the flag, and otherwise speaks HTTP/1.1 (what `http1` allows) where the HTTP/2 engine
 * is not used (a proxy, a unix socket; negotiated.ts has the rest).
 */
const protocolFor = (o: ResolvedHttpOptions): "http2" | "http1.1" | undefined => {
  if (o.http2 && !o.http1) return "http2";
  return !o.http2 && flagged() ? "http1.1" : undefined;
};

/**
 * The version Bun's fetch speaks: HTTP/2 with `protocol: "http2"`, HTTP/1.1 with `"http1.1"`, and without
 * either HTTP/1.1 too, unless the HTTP/2 flag lets it offer h2 over TLS, where it does not say what ALPN
 * chose. Cleartext is always HTTP/1.1 (no h2c).
 */
const fetchVersion = (protocol: "http2" | "http1.1" | undefined): Engine["version"] => {
  if (protocol === "http2") return () => "HTTP/2";
  if (protocol === "http1.1" || !flagged()) return () => "HTTP/1.1";
  return alpnVersion;
};

const proxyFor = (o: ResolvedHttpOptions): BunProxy | undefined => {
  // A unix socket never goes through an env proxy (Bun 1.4.0 wrote proxy-form requests to the socket).
  if (o.proxy === undefined) return o.trustEnv && o.uds === undefined ? undefined : false;
  const { url, headers } = o.proxy;
  // Userinfo stays in the URL: Bun turns it into Proxy-Authorization. NO_PROXY is ignored for an
  // explicit proxy, as in HTTPX.
  return { url: url.href, headers: { ...headers }, respectNoProxy: false };
};

const tlsFor = (o: ResolvedHttpOptions): BunTls | undefined => {
  const t = o.tls;
  if (t.caCerts.length === 0 && t.cert === undefined && !t.insecure) return undefined;
  const tls: BunTls = {};
  if (t.caCerts.length > 0) tls.ca = [...t.caCerts];
  if (t.cert !== undefined) {
    tls.cert = t.cert;
    tls.key = t.key;
  }
  if (t.insecure) tls.rejectUnauthorized = false;
  return tls;
};

const CONNECT_CODES = new Set([
  "ECONNREFUSED",
  "ConnectionRefused",
  "ENOENT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EADDRNOTAVAIL",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "FailedToOpenSocket",
]);
const TLS_CODE = /CERT|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|SELF_SIGNED|ERR_TLS|TLSV1_ALERT|DEPTH_ZERO/;

const classifier = (o: ResolvedHttpOptions) => (error: unknown, request: Request): TransportError => {
  const code = codeOf(error);
  const detail = describeRuntimeError(error);
  const options = { detail: code ? `${code}: ${detail}` : detail, cause: error };
  if (code === "ERR_PROXY_TUNNEL") return new ProxyError(request, options);
  if (CONNECT_CODES.has(code)) {
    // With a proxy every connection goes to the proxy first: a refused connect is the proxy's.
    if (o.proxy !== undefined) {
      return new ProxyError(request, { ...options, detail: `could not reach the proxy (${detail})` });
    }
    if (code === "ENOENT" && o.uds !== undefined) {
      return new ConnectError(request, { ...options, detail: `unix socket ${o.uds} does not exist (${detail})` });
    }
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
      return new ConnectError(request, { ...options, detail: `DNS lookup failed (${code}: ${detail})` });
    }
    return new ConnectError(request, options);
  }
  if (TLS_CODE.test(code)) {
    return new ConnectError(request, {
      ...options,
      detail: `TLS certificate verification failed (${code}: ${detail})`,
    });
  }
  if (code === "HTTP2Unsupported") {
    return new ConnectError(request, { ...options, detail: `the server did not agree to HTTP/2 in ALPN (${detail})` });
  }
  if (code === "UnsupportedProxyProtocol") return new ProxyError(request, options);
  if (code === "Malformed_HTTP_Response" || code === "ERR_HTTP_INVALID") {
    return new RemoteProtocolError(request, options);
  }
  if (code === "ECONNRESET") {
    // Closed before answering, garbage, or a reset: Bun reports all three as ECONNRESET before the response.
    return new RemoteProtocolError(request, {
      ...options,
      detail: `the server closed the connection without a valid response (${detail})`,
    });
  }
  // Refused before sending: a GET or HEAD Request with a body (which Bun's Request builds), a body already read.
  if (
    code === "ERR_INVALID_HTTP_TOKEN" || code === "ERR_INVALID_CHAR" || code === "ERR_INVALID_ARG_VALUE" ||
    code === "ERR_BODY_ALREADY_USED"
  ) {
    return new LocalProtocolError(request, options);
  }
  return new ReadError(request, options);
};

/** Bun cannot tell a buffered body from a stream; it reads a stream only once connected. */
const bodyKind = (request: Request): BodyKind => (request.body === null ? "none" : "unknown");

const classifyBody = (error: unknown, request: Request): TransportError | undefined => {
  const code = codeOf(error);
  if (code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE") {
    return new ReadError(request, { detail: `${code}: ${describeRuntimeError(error)}`, cause: error });
  }
  return undefined;
};

/**
 * A request whose connection a guard pinned (core/connect_pin.ts): sent to the checked address, with the host
 * name in `Host` and, over TLS, as the server name the certificate is verified against (a per-request `tls`
 * replaces the session's, so the session's CA and client certificate are passed again). The response keeps
 * the request's URL.
 */
const sendPinned = (request: Request, address: string, init: RequestInit, tls: BunTls | undefined) => {
  const url = new URL(request.url);
  const host = url.host;
  const serverName = url.hostname.endsWith(".") ? url.hostname.slice(0, -1) : url.hostname;
  url.hostname = address;
  const pinned = new Request(url, request);
  pinned.headers.set("host", host);
  const withTls = url.protocol === "https:" ? { ...init, tls: { ...tls, serverName } } as RequestInit : init;
  return fetch(pinned, withTls).then((response) => {
    Object.defineProperty(response, "url", { value: request.url, configurable: true });
    return response;
  });
};

/** The fetch engine; throws `InvalidOptions` for what Bun's fetch cannot do. */
const makeBunEngine = (o: ResolvedHttpOptions): Engine => {
  const protocol = protocolFor(o);
  const proxy = proxyFor(o);
  const tls = tlsFor(o);
  const Session = bun().FetchSession;
  if (Session === undefined) refuse("(any)", `Bun ${env("BUN_VERSION") ?? ""}`.trim(), "Bun 1.4 or newer");
  const keepAlive = o.limits.maxKeepAliveConnections === undefined && o.limits.keepAliveExpiry === undefined
    ? undefined
    : o.limits.maxKeepAliveConnections === 0
    ? false
    : {
      ...(o.limits.keepAliveExpiry === undefined ? {} : { idleTimeout: Math.ceil(o.limits.keepAliveExpiry / 1000) }),
      ...(o.limits.maxKeepAliveConnections === undefined ? {} : { maxIdleSockets: o.limits.maxKeepAliveConnections }),
    };
  const session = new Session!({
    ...(tls === undefined ? {} : { tls }),
    ...(proxy === undefined ? {} : { proxy }),
    ...(keepAlive === undefined ? {} : { keepAlive }),
    ...(o.uds === undefined ? {} : { unix: o.uds }),
  });
  const base: Record<string, unknown> = { redirect: "manual", session };
  if (protocol !== undefined) base.protocol = protocol;
  const init = Object.freeze(base) as RequestInit;
  // Nothing can abort a request built without a signal: `signal: null` spares the copy a dependent signal (~0.5 µs).
  const unabortable = Object.freeze({ ...base, signal: null }) as RequestInit;
  const h2only = protocol === "http2";
  // Through a proxy or a unix socket the connection does not go to the host's address: a pin does not apply.
  const pins = o.proxy === undefined && o.uds === undefined;
  return {
    name: "bun",
    send: (request, signal) => {
      const options = signal !== undefined
        ? { ...base, signal } as RequestInit
        : takeUnabortableMark(request)
        ? unabortable
        : init;
      const pin = pins ? pinnedAddress(request) : undefined;
      return pin === undefined ? fetch(request, options) : sendPinned(request, pin, options, tls);
    },
    classify: classifier(o),
    classifyBody,
    check: h2only
      ? (request) =>
        request.url.startsWith("http://")
          ? new UnsupportedProtocol(request, {
            detail: "Bun's fetch cannot speak HTTP/2 over cleartext (h2c); use https:// or allow http1",
          })
          : undefined
      : undefined,
    bodyKind,
    wantsSignal: false,
    observesConnect: false,
    proxied: o.proxy !== undefined,
    patch: patchWithPrototype,
    version: fetchVersion(protocol),
    close: () => session.close(),
  };
};

const ENV_PROXY_VARS = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"];

/** What Bun's fetch adds to a request that lacks them (measured, Bun 1.4.4): the HTTP/2 engine adds the same. */
const fetchDefaults = (): ReadonlyArray<readonly [string, string]> => [
  ["accept", "*/*"],
  ["accept-encoding", "gzip, deflate, br, zstd"],
  ["user-agent", (globalThis as unknown as { navigator?: { userAgent?: string } }).navigator?.userAgent ?? "Bun"],
];

/** With `localAddress`: node:http (Bun's fetch silently ignores a local address), HTTP/1.1, no HTTP proxy. */
const localEngine = (o: ResolvedHttpOptions): Engine => {
  const why = "with localAddress Switchyard sends through node:http (Bun's fetch ignores a local address)";
  if (o.proxy !== undefined) {
    refuse("proxy", "an http(s) proxy together with localAddress", `no proxy or a socks5:// one: ${why}`);
  }
  if (!o.http1) refuse("http1", "false together with localAddress", `HTTP/1.1: ${why}`);
  if (o.trustEnv && ENV_PROXY_VARS.some((name) => env(name))) {
    refuse(
      "trustEnv",
      "true while an environment proxy is set, together with localAddress",
      `\`trustEnv: false\`: ${why}, which cannot use environment proxies`,
    );
  }
  return makeNodeEngine(o, { bodyKind, patch: patchWithPrototype });
};

/** Through a SOCKS5 proxy: node:http over a tunnel (socks.ts), HTTP/1.1. */
const socksEngine = (o: ResolvedHttpOptions): Engine => {
  const why = "over SOCKS Switchyard sends through node:http (Bun's fetch speaks only http:// and https:// proxies)";
  if (Object.keys(o.proxy!.headers).length > 0) {
    refuse("proxy.headers", "extra headers for a SOCKS proxy", "no headers: SOCKS has nowhere to send them");
  }
  if (!o.http1) refuse("http1", `false together with a ${o.proxy!.url.protocol}// proxy`, `HTTP/1.1: ${why}`);
  return makeNodeEngine(o, { bodyKind, patch: patchWithPrototype, tunnel: socksTunnel(o) });
};

/**
 * The engine for these options on Bun:
 * - fetch (a `Bun.FetchSession`), for most;
 * - with `http2` (and no proxy or unix socket): the HTTP/2 engine for what fetch cannot negotiate (ALPN with
 *   `http1`, h2c without it) next to fetch (negotiated.ts); under Bun's HTTP/2 flag fetch negotiates itself;
 * - with a `socks5://` / `socks5h://` proxy: node:http through a SOCKS tunnel (HTTP/1.1);
 * - with `localAddress`, which Bun's fetch silently ignores: node:http (HTTP/1.1).
 *
 * @example
 * ```ts
 * import { bunEngine } from "./bun.ts";
 * import { resolveHttpOptions } from "./options.ts";
 * bunEngine(resolveHttpOptions({ localAddress: "127.0.0.2", trustEnv: false })).name; // "node"
 * ```
 */
export const bunEngine = (o: ResolvedHttpOptions): Engine => {
  const socks = o.proxy !== undefined && (o.proxy.url.protocol === "socks5:" || o.proxy.url.protocol === "socks5h:");
  if (socks) return socksEngine(o);
  if (o.localAddress !== undefined) return localEngine(o);
  if (o.http2 && o.proxy === undefined && o.uds === undefined && !(o.http1 && flagged())) {
    return lazyNegotiatedEngine(o, o.http1 ? "alpn" : "h2c", makeBunEngine(o));
  }
  return makeBunEngine(o);
};

/** negotiated.ts and node_http2.ts, loaded with the first request that needs them (they weigh on import). */
let http2Modules: Promise<[typeof import("./negotiated.ts"), typeof import("./node_http2.ts")]> | undefined;

/**
 * The negotiating engine (negotiated.ts), built on first use: until then a request that would take HTTP/2
 * waits for the two modules; one that would not (plain http:// under ALPN) goes to fetch at once. Nothing
 * about the options can be refused by them, so nothing is lost by building them late.
 */
const lazyNegotiatedEngine = (o: ResolvedHttpOptions, mode: "alpn" | "h2c", fetchEngine: Engine): Engine => {
  let engine: Engine | undefined;
  let loading: Promise<Engine> | undefined;
  let closed = false;
  const load = (): Promise<Engine> =>
    loading ??= (http2Modules ??= Promise.all([import("./negotiated.ts"), import("./node_http2.ts")])).then(
      ([negotiated, node2]) => {
        const h2 = node2.makeHttp2Engine(o, { bodyKind, patch: patchWithPrototype, defaults: fetchDefaults() });
        const built = negotiated.makeNegotiatedEngine(o, mode, h2, fetchEngine);
        if (closed) h2.close();
        return engine = built;
      },
    );
  // Before the HTTP/2 engine has learned anything, which requests it would take.
  const wouldTakeHttp2 = (url: string) => url.startsWith(mode === "alpn" ? "https://" : "http://");
  return {
    name: fetchEngine.name,
    send: (request, signal) =>
      engine !== undefined
        ? engine.send(request, signal)
        : wouldTakeHttp2(request.url)
        ? load().then((e) => e.send(request, signal))
        : fetchEngine.send(request, signal),
    classify: fetchEngine.classify,
    classifyBody: fetchEngine.classifyBody,
    check: undefined,
    bodyKind: fetchEngine.bodyKind,
    observesConnect: false,
    observesConnectOf: (request) =>
      engine !== undefined ? engine.observesConnectOf!(request) : wouldTakeHttp2(request.url),
    wantsSignal: true,
    proxied: false,
    patch: fetchEngine.patch,
    version: markedOr(fetchEngine.version),
    close: () => {
      closed = true;
      if (engine !== undefined) engine.close();
      else fetchEngine.close();
    },
  };
};

/**
 * Bun's engines. Env proxy engines are built at construction: a session
 * costs ~7 µs (a SOCKS engine less: it loads nothing until used), and an
 * engine refused for its options must fail construction. The direct engine gets `proxy: false` (Bun's own env
 * handling off): Switchyard's rules decided the request goes direct.
 *
 * @example
 * ```ts
 * import { bunEngines } from "./bun.ts";
 * bunEngines.proxyEngines; // "eager"
 * ```
 */
export const bunEngines: EngineFactory = {
  runtime: "bun",
  make: bunEngine,
  proxyEngines: "eager",
  directOptions: (o) => (o.trustEnv && o.proxy === undefined ? { ...o, trustEnv: false } : o),
};
