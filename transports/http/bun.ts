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
import { describeRuntimeError, type Engine, type EngineFactory } from "./engine.ts";
import { makeNodeEngine } from "./node.ts";
import type { ResolvedHttpOptions } from "./options.ts";

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

const protocolFor = (o: ResolvedHttpOptions): "http2" | "http1.1" | undefined => {
  const flag = env(H2_FLAG) === "1" || env(H2_FLAG) === "true";
  if (o.http2 && !o.http1) return "http2";
  if (o.http2) {
    if (flag) return undefined;
    return refuse(
      "http2",
      "true together with http1: true",
      `Bun's fetch offers one protocol in ALPN: pass \`http1: false\` to require HTTP/2 over TLS, or start Bun ` +
        `with ${H2_FLAG}=1 to let it negotiate`,
    );
  }
  return flag ? "http1.1" : undefined;
};

const proxyFor = (o: ResolvedHttpOptions): BunProxy | undefined => {
  // A unix socket never goes through an env proxy (Bun 1.4.0 wrote proxy-form requests to the socket).
  if (o.proxy === undefined) return o.trustEnv && o.uds === undefined ? undefined : false;
  const { url, headers } = o.proxy;
  if (url.protocol === "socks5:" || url.protocol === "socks5h:") {
    refuse("proxy", `a ${url.protocol}// URL`, "Bun's fetch speaks only http:// and https:// proxies");
  }
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

const codeOf = (error: unknown): string => {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : "";
};

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
  if (code === "ERR_INVALID_HTTP_TOKEN" || code === "ERR_INVALID_CHAR") return new LocalProtocolError(request, options);
  return new ReadError(request, options);
};

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
    // Bun cannot tell a buffered body from a stream; it reads a stream only once connected.
    bodyKind: (request) => (request.body === null ? "none" : "unknown"),
    wantsSignal: false,
    observesConnect: false,
    proxied: o.proxy !== undefined,
    patch: patchWithPrototype,
    close: () => session.close(),
  };
};

const ENV_PROXY_VARS = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"];

/**
 * The engine for these options on Bun: fetch, except with `localAddress`, which Bun's fetch silently
 * ignores: that goes through node:http (HTTP/1.1, no proxy).
 *
 * @example
 * ```ts
 * import { bunEngine } from "./bun.ts";
 * import { resolveHttpOptions } from "./options.ts";
 * bunEngine(resolveHttpOptions({ localAddress: "127.0.0.2", trustEnv: false })).name; // "node"
 * ```
 */
export const bunEngine = (o: ResolvedHttpOptions): Engine => {
  if (o.localAddress === undefined) return makeBunEngine(o);
  const why = "with localAddress Switchyard sends through node:http (Bun's fetch ignores a local address)";
  if (o.proxy !== undefined) refuse("proxy", "a proxy together with localAddress", `no proxy: ${why}, without proxies`);
  if (!o.http1) refuse("http1", "false together with localAddress", `HTTP/1.1: ${why}`);
  if (o.trustEnv && ENV_PROXY_VARS.some((name) => env(name))) {
    refuse(
      "trustEnv",
      "true while an environment proxy is set, together with localAddress",
      `\`trustEnv: false\`: ${why}, which cannot use environment proxies`,
    );
  }
  return makeNodeEngine(o, {
    bodyKind: (request) => (request.body === null ? "none" : "unknown"),
    patch: patchWithPrototype,
  });
};

/**
 * Bun's engines. Env proxy engines are built at construction: a session
 * costs ~7 µs, and Bun refuses some proxy URLs (`socks5://`), which must fail
 * construction. The direct engine gets `proxy: false` (Bun's own env
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
