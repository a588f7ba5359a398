/**
 * The Deno engine: `fetch` with one `Deno.HttpClient` per transport, and the
 * only place where Deno's fetch failures are mapped to the error tree.
 *
 * Deno puts the useful text in `error.cause.message` (docs/runtimes.md, "Errors"):
 * `client error (Connect)` is the connect phase (`dns error` inside it: DNS),
 * `client error (SendRequest)` means a connection existed, and a top-level
 * `error reading a body from connection` is a failed body read.
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
  WriteError,
} from "../../core/errors.ts";
import { requestBodySource } from "../../core/runtime.ts";
import { patchWithOwnProperties } from "./body.ts";
import {
  alpnVersion,
  type BodyKind,
  describeRuntimeError,
  type Engine,
  type EngineFactory,
  permissionDenied,
} from "./engine.ts";
import { makeNodeEngine } from "./node.ts";
import type { ResolvedHttpOptions } from "./options.ts";

interface DenoGlobal {
  createHttpClient(options: Deno.CreateHttpClientOptions & { cert?: string; key?: string }): Deno.HttpClient;
  env: { get(name: string): string | undefined };
  permissions: { querySync(d: { name: "env"; variable: string }): { state: string } };
}
const deno = (): DenoGlobal => (globalThis as unknown as { Deno: DenoGlobal }).Deno;

/** The variables Deno builds into every HttpClient (ext/fetch/proxy.rs `from_env`), read when the client is made. */
const ENV_PROXY_VARS = ["ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"] as const;
const NO_PROXY_VARS = ["NO_PROXY", "no_proxy"] as const;

/** `set`, `unset`, or `unknown` (no `--allow-env` for it: Deno still reads it, we cannot). */
const envState = (names: ReadonlyArray<string>): "set" | "unset" | "unknown" => {
  let unknown = false;
  for (const name of names) {
    let state: string;
    try {
      state = deno().permissions.querySync({ name: "env", variable: name }).state;
    } catch {
      state = "denied";
    }
    if (state !== "granted") {
      unknown = true;
      continue;
    }
    if (deno().env.get(name)) return "set";
  }
  return unknown ? "unknown" : "unset";
};

const refuse = (option: string, received: string, expected: string): never => {
  throw new InvalidOptions({ option, received, expected, runtime: "deno" });
};

const proxyOption = (o: ResolvedHttpOptions): Deno.Proxy | undefined => {
  if (o.proxy === undefined) return undefined;
  const { url, headers } = o.proxy;
  if (Object.keys(headers).length > 0) {
    refuse("proxy.headers", "extra proxy headers", "Deno's HttpClient cannot send extra headers to a proxy");
  }
  const bare = new URL(url.href);
  bare.username = "";
  bare.password = "";
  const proxy: Deno.Proxy = { url: bare.href };
  if (url.username !== "" || url.password !== "") {
    proxy.basicAuth = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  }
  return proxy;
};

/** Checks what Deno cannot do, then builds the client's options. */
const clientOptions = (o: ResolvedHttpOptions): Deno.CreateHttpClientOptions & { cert?: string; key?: string } => {
  if (!o.trustEnv) {
    // Deno starts every HttpClient from the proxy variables (ext/fetch/lib.rs create_http_client): a direct
    // client exists only if none is set when it is made. An explicit proxy or socket wins over them, but
    // NO_PROXY still sends matching hosts around it.
    const pinned = o.proxy !== undefined;
    const names = pinned ? NO_PROXY_VARS : ENV_PROXY_VARS;
    const state = envState(names);
    if (state !== "unset") {
      refuse(
        "trustEnv",
        `false while ${state === "set" ? "one of" : "Switchyard cannot read (no --allow-env)"} ${names.join(", ")}` +
          `${state === "set" ? " is set" : ""}`,
        `Deno builds ${names.join("/")} into every HttpClient, so it cannot ignore them: unset them ` +
          `before constructing, or grant --allow-env=${names.join(",")} so Switchyard can check they are unset`,
      );
    }
  }
  const options: Deno.CreateHttpClientOptions & { cert?: string; key?: string } = {
    http1: o.http1,
    http2: o.http2,
  };
  const proxy = proxyOption(o);
  if (proxy !== undefined) options.proxy = proxy;
  if (o.localAddress !== undefined) options.localAddress = o.localAddress;
  if (o.tls.caCerts.length > 0) options.caCerts = [...o.tls.caCerts];
  if (o.tls.cert !== undefined) {
    options.cert = o.tls.cert;
    options.key = o.tls.key;
  }
  if (o.limits.maxKeepAliveConnections !== undefined) options.poolMaxIdlePerHost = o.limits.maxKeepAliveConnections;
  if (o.limits.keepAliveExpiry !== undefined) options.poolIdleTimeout = o.limits.keepAliveExpiry;
  return options;
};

const causeText = (error: unknown): string => {
  const cause = (error as { cause?: { message?: unknown } } | undefined)?.cause?.message;
  return typeof cause === "string" ? cause : "";
};

const classifier = (o: ResolvedHttpOptions) => (error: unknown, request: Request): TransportError => {
  const top = error instanceof Error ? error.message : "";
  const cause = causeText(error);
  const detail = describeRuntimeError(error);
  const options = { detail, cause: error };
  const blocked = /Requests to port (\d+) are blocked/.exec(top);
  if (blocked) {
    return new UnsupportedProtocol(request, { detail: `Deno's fetch refuses port ${blocked[1]} (fetch bad ports)` });
  }
  if (cause.includes("client error (Connect)")) {
    if (cause.includes("proxy authentication required") || cause.includes("unsuccessful tunnel")) {
      return new ProxyError(request, { detail: `the proxy refused the CONNECT tunnel (${detail})`, cause: error });
    }
    if (o.proxy !== undefined && /tcp connect error|dns error|unexpected eof while tunneling/.test(cause)) {
      return new ProxyError(request, { detail: `could not reach the proxy (${detail})`, cause: error });
    }
    if (/certificate|UnknownIssuer|CaUsedAsEndEntity|NotValidForName|BadSignature/i.test(cause)) {
      return new ConnectError(request, { detail: `TLS certificate verification failed (${detail})`, cause: error });
    }
    // Through SOCKS every other connect failure is the proxy's answer (auth, a refused or unknown target), as in HTTPX.
    if (o.proxy !== undefined && o.proxy.url.protocol.startsWith("socks")) {
      return new ProxyError(request, { detail: `the SOCKS5 proxy failed the tunnel (${detail})`, cause: error });
    }
    if (cause.includes("dns error")) {
      return new ConnectError(request, { detail: `DNS lookup failed (${detail})`, cause: error });
    }
    return new ConnectError(request, options);
  }
  if (cause.includes("client error (SendRequest)") || cause.includes("client error")) {
    if (/closed before message completed|invalid HTTP|parse|unexpected|invalid status/i.test(cause)) {
      return new RemoteProtocolError(request, options);
    }
    if (/broken pipe/i.test(cause)) return new WriteError(request, options);
    return new ReadError(request, options);
  }
  if (/Connection reset|os error 104/i.test(cause)) return new ReadError(request, options);
  // Refused before sending: a header or method fetch will not send, a body already read.
  if (error instanceof TypeError && /header|Invalid (method|URL)|body is unusable/i.test(top)) {
    return new LocalProtocolError(request, options);
  }
  const denied = permissionDenied(error, request);
  if (denied !== undefined) return denied;
  // Unplaceable: report the class that does not claim the request never left.
  return new ReadError(request, options);
};

const classifyBody = (error: unknown, request: Request): TransportError | undefined => {
  const top = error instanceof Error ? error.message : "";
  if (top.includes("error reading a body from connection") || /Connection reset|os error 104/.test(causeText(error))) {
    return new ReadError(request, { detail: describeRuntimeError(error), cause: error });
  }
  return undefined;
};

/** What Deno can tell of a body (core/runtime.ts reads its internal slot); unknown: never re-sent, since Deno
 * reads a streamed body before it connects. */
const bodyKind = (request: Request): BodyKind => {
  if (request.method === "GET" || request.method === "HEAD") return "none";
  const source = requestBodySource(request);
  return source === "unknown" ? "stream" : source;
};

/**
 * Deno keeps a Request's signal in an internal slot that stays empty until a
 * signal is given or read: an empty slot means nothing can abort the request,
 * whoever built it. `null` when the slot is not found (a Deno that renamed
 * it): then every request is treated as abortable. Looked up once.
 */
let signalSlot: symbol | null | undefined;
const isUnabortable = (request: Request): boolean => {
  signalSlot ??=
    Object.getOwnPropertySymbols(new Request("http://slot.invalid/")).find((s) => s.description === "signalCache") ??
      null;
  return signalSlot !== null && (request as unknown as Record<symbol, unknown>)[signalSlot] === undefined;
};

/**
 * The version Deno's client speaks with these options: HTTP/1.1 unless HTTP/2 is allowed; HTTP/2 alone is
 * h2 over TLS and prior knowledge over cleartext; with both, cleartext is HTTP/1.1 and TLS is ALPN's
 * choice, which fetch does not report (docs/runtimes.md, "HTTP/2").
 */
const fetchVersion = (o: ResolvedHttpOptions): Engine["version"] => {
  if (!o.http2) return () => "HTTP/1.1";
  if (!o.http1) return () => "HTTP/2";
  return alpnVersion;
};

/** The fetch engine; throws `InvalidOptions` for what Deno cannot do. */
const makeDenoEngine = (o: ResolvedHttpOptions): Engine => {
  const client = deno().createHttpClient(clientOptions(o));
  // Built once: Deno's fetch makes a new Request from (request, init) anyway. `signal: null` when nothing can
  // abort the request: the copy then skips a dependent AbortSignal (~3 µs, WeakRefs held until the loop turns).
  const init = Object.freeze({ redirect: "manual", client }) as RequestInit;
  const unabortable = Object.freeze({ redirect: "manual", client, signal: null }) as RequestInit;
  return {
    name: "deno",
    version: fetchVersion(o),
    send: (request, signal) =>
      fetch(
        request,
        signal !== undefined
          ? { redirect: "manual", client, signal } as RequestInit
          : isUnabortable(request)
          ? unabortable
          : init,
      ),
    classify: classifier(o),
    classifyBody,
    check: undefined,
    bodyKind,
    wantsSignal: false,
    observesConnect: false,
    proxied: o.proxy !== undefined,
    patch: patchWithOwnProperties,
    close: () => client.close(),
  };
};

/**
 * The engine for these options on Deno: fetch, except for a unix socket, which goes through node:http.
 * Deno's fetch over a unix socket (`Deno.createHttpClient({ proxy: { transport: "unix" } })`) sends an
 * absolute-form request line (`GET http://localhost/x HTTP/1.1`, refused by strict servers) and applies
 * NO_PROXY to it, sending a listed host (e.g. `localhost`) over TCP instead of the socket.
 *
 * @example
 * ```ts
 * import { denoEngine } from "./deno.ts";
 * import { resolveHttpOptions } from "./options.ts";
 * denoEngine(resolveHttpOptions({ uds: "/var/run/docker.sock" })).name; // "node"
 * ```
 */
export const denoEngine = (o: ResolvedHttpOptions): Engine => {
  if (o.tls.insecure) {
    refuse(
      "tls.dangerouslyIgnoreCertificateErrors",
      "true",
      "Deno cannot skip verification per client: start it with --unsafely-ignore-certificate-errors=<host> " +
        "(local development only)",
    );
  }
  if (o.localAddress !== undefined && o.proxy !== undefined && o.proxy.url.protocol.startsWith("socks")) {
    refuse(
      "localAddress",
      `a local address together with a ${o.proxy.url.protocol}// proxy`,
      "no local address, or an http(s) proxy: Deno's client silently connects to a SOCKS proxy from the default " +
        "address (measured, Deno 2.9.6)",
    );
  }
  if (o.uds === undefined) return makeDenoEngine(o);
  if (!o.http1) {
    refuse("http1", "false together with uds", "HTTP/1.1 over a unix socket (Switchyard uses node:http there on Deno)");
  }
  return makeNodeEngine(o, { bodyKind, patch: patchWithOwnProperties });
};

/**
 * Deno's engines. Env proxy engines are built on first use: a
 * `Deno.HttpClient` costs ~0.6 ms, and Deno accepts every proxy URL
 * `environmentProxies` lets through. The direct engine's options are the
 * transport's own: Deno builds the process's proxy variables into every
 * client anyway (env_proxies.ts says what follows).
 *
 * @example
 * ```ts
 * import { denoEngines } from "./deno.ts";
 * denoEngines.proxyEngines; // "lazy"
 * ```
 */
export const denoEngines: EngineFactory = {
  runtime: "deno",
  make: denoEngine,
  proxyEngines: "lazy",
  directOptions: (o) => o,
};
